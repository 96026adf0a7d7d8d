import { DataType } from '../../ir.ts';
import { attrInt } from '../../attrs.ts';
import { normAxis } from '../dims.ts';
import type { InferRule } from '../rule.ts';

// Values and int64 indices: the input's dims with `axis` cut to k (known contents of input 1).
export const TopK: InferRule = {
  opTypes: ['TopK'],
  types: (c) => [c.x(0).dtype, DataType.INT64],
  shapes: (c) => {
    const s = c.x(0).shape;
    if (!s) return [{}, {}];
    const axis = normAxis(attrInt(c.node, 'axis', -1), s.length);
    const k = c.x(1).value?.[0] ?? c.sym(axis);
    const shape = s.map((d, i) => (i === axis ? k : d));
    return [{ shape }, { shape }];
  },
};
