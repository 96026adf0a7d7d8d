import type { Dim } from '../../ir.ts';
import { attrInt } from '../../attrs.ts';
import { normAxis } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// indices, depth (one element), values [off, on]: the indices' shape with a new axis of
// size depth at `axis`, counted in the output's rank; of the values' type.
export const OneHot: InferRule = {
  opTypes: ['OneHot'],
  types: (c) => [c.x(2).dtype],
  shapes: (c) => {
    const s = c.x(0).shape;
    if (!s) return one(undefined);
    const axis = normAxis(attrInt(c.node, 'axis', -1), s.length + 1);
    const depth = c.x(1).value;
    const size: Dim = depth?.length === 1 && (typeof depth[0] !== 'number' || depth[0] >= 0) ? depth[0]! : c.sym(axis);
    return one([...s.slice(0, axis), size, ...s.slice(axis)]);
  },
};
