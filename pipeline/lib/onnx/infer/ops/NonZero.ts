import { DataType } from '../../ir.ts';
import { type InferRule, one } from '../rule.ts';

// [rank, count of nonzeros], the count known only at runtime.
export const NonZero: InferRule = {
  opTypes: ['NonZero'],
  types: () => [DataType.INT64],
  shapes: (c) => one(c.x(0).shape ? [c.x(0).shape!.length, c.sym(1)] : undefined),
};
