import { attrInt } from '../../attrs.ts';
import { type InferRule, one } from '../rule.ts';

// [rows of A', columns of B'], A' and B' transposed as the flags say.
export const Gemm: InferRule = {
  opTypes: ['Gemm'],
  shapes: (c) => {
    const [a, b] = [c.x(0).shape, c.x(1).shape];
    if (!a || !b) return one([c.sym(0), c.sym(1)]);
    return one([attrInt(c.node, 'transA', 0) ? a[1]! : a[0]!, attrInt(c.node, 'transB', 0) ? b[0]! : b[1]!]);
  },
};
