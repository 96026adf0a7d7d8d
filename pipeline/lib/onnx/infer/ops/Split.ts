import { attrInt } from '../../attrs.ts';
import { normAxis } from '../dims.ts';
import type { InferRule } from '../rule.ts';

// Each output: the input's dims with the split axis cut to its size (given, or an equal share).
export const Split: InferRule = {
  opTypes: ['Split'],
  shapes: (c) => {
    const s = c.x(0).shape;
    if (!s) return c.node.outputs.map(() => ({}));
    const axis = normAxis(attrInt(c.node, 'axis', 0), s.length);
    const sizes = c.axes();
    const d = s[axis]!;
    const n = c.node.outputs.length;
    return c.node.outputs.map((_, o) => {
      const size = sizes?.[o] ?? (typeof d === 'number' && d % n === 0 ? d / n : c.sym(axis, o));
      return { shape: s.map((dim, i) => (i === axis ? size : dim)) };
    });
  },
};
