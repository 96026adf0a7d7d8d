import { broadcastShapes } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// where(cond, a, b): the broadcast of all three, of the branches' type.
export const Where: InferRule = {
  opTypes: ['Where'],
  types: (c) => [c.x(1).dtype ?? c.x(2).dtype],
  shapes: (c) => one(broadcastShapes([0, 1, 2].map((i) => c.x(i).shape), (axis) => c.sym(axis))),
};
