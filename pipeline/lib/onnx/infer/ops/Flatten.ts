import { attrInt } from '../../attrs.ts';
import { normAxis } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// [product of the dims before axis, product of the rest].
export const Flatten: InferRule = {
  opTypes: ['Flatten'],
  shapes: (c) => {
    const s = c.x(0).shape;
    if (!s) return one([c.sym(0), c.sym(1)]);
    const axis = normAxis(attrInt(c.node, 'axis', 1), s.length);
    return one([c.products.product(s.slice(0, axis)), c.products.product(s.slice(axis))]);
  },
};
