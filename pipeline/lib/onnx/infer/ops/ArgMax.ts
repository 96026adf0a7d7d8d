import { DataType } from '../../ir.ts';
import { attrInt } from '../../attrs.ts';
import { normAxis } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// int64 indices along one axis, which becomes 1 (keepdims) or goes.
export const ArgMax: InferRule = {
  opTypes: ['ArgMax', 'ArgMin'],
  types: () => [DataType.INT64],
  shapes: (c) => {
    const s = c.x(0).shape;
    if (!s) return one(undefined);
    const axis = normAxis(attrInt(c.node, 'axis', 0), s.length);
    return one(attrInt(c.node, 'keepdims', 1) ? s.map((d, i) => (i === axis ? 1 : d)) : s.filter((_, i) => i !== axis));
  },
};
