import { attrInts } from '../../attrs.ts';
import { type InferRule, one } from '../rule.ts';

// The dims permuted (reversed where perm is not given).
export const Transpose: InferRule = {
  opTypes: ['Transpose'],
  shapes: (c) => {
    const s = c.x(0).shape;
    if (!s) return one(undefined);
    const perm = attrInts(c.node, 'perm') ?? s.map((_, i) => s.length - 1 - i);
    return one(perm.map((p) => s[p]!));
  },
};
