import { DataType } from '../../ir.ts';
import { type InferRule, likeInput } from '../rule.ts';

// Output and mask shaped like the input; the mask is boolean.
export const Dropout: InferRule = {
  opTypes: ['Dropout'],
  types: (c) => [c.x(0).dtype, DataType.BOOL],
  shapes: likeInput,
};
