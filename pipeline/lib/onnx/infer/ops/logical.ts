// Comparisons and logic: boolean outputs, broadcast (Not, IsNaN, IsInf: elementwise).
import { DataType } from '../../ir.ts';
import { broadcastShapes } from '../dims.ts';
import { type InferRule, likeInput, one } from '../rule.ts';

export const comparison: InferRule = {
  opTypes: ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor'],
  types: () => [DataType.BOOL],
  shapes: (c) => one(broadcastShapes([c.x(0).shape, c.x(1).shape], (axis) => c.sym(axis))),
};

export const predicate: InferRule = {
  opTypes: ['Not', 'IsNaN', 'IsInf'],
  types: () => [DataType.BOOL],
  shapes: likeInput,
};
