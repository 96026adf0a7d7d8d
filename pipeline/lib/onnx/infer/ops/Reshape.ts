import { attrInt } from '../../attrs.ts';
import { type InferRule, one } from '../rule.ts';

// The target shape, its 0s copied from the input (unless allowzero) and its -1 solved as
// a quotient of products, so folding and unfolding an axis returns the symbol it started as.
export const Reshape: InferRule = {
  opTypes: ['Reshape'],
  shapes: (c) => {
    const a0 = c.x(0);
    const target = c.x(1).value;
    if (!target) {
      const len = c.x(1).shape?.[0];
      return one(typeof len === 'number' ? c.symbols(len) : undefined, a0.value);
    }
    const allowZero = attrInt(c.node, 'allowzero', 0) === 1;
    const dims = target.map((d, i) => (d === 0 && !allowZero ? a0.shape?.[i] ?? c.sym(i) : d));
    const inferAt = dims.indexOf(-1);
    if (inferAt >= 0) {
      const rest = dims.filter((_, i) => i !== inferAt);
      dims[inferAt] = (a0.shape && c.products.quotient(a0.shape, rest)) ?? c.sym(inferAt);
    }
    return one(dims, a0.value);
  },
};
