import { DataType } from '../../ir.ts';
import { attrInt } from '../../attrs.ts';
import { normAxis } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// The dims of input 0 from `start` to `end` (clamped), as a 1-D int64 tensor whose contents
// are those dims, symbols included.
export const Shape: InferRule = {
  opTypes: ['Shape'],
  types: () => [DataType.INT64],
  shapes: (c) => {
    const s = c.x(0).shape;
    if (!s) return one(undefined);
    const r = s.length;
    const clamp = (v: number): number => Math.min(Math.max(normAxis(v, r), 0), r);
    const start = clamp(attrInt(c.node, 'start', 0));
    const end = clamp(attrInt(c.node, 'end', r));
    const dims = s.slice(start, Math.max(start, end));
    return one([dims.length], dims);
  },
};

// The element count: the product of the dims, under its canonical name.
export const Size: InferRule = {
  opTypes: ['Size'],
  types: () => [DataType.INT64],
  shapes: (c) => one([], c.x(0).shape ? [c.products.product(c.x(0).shape!)] : undefined),
};
