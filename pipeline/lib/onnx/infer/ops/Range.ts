import { type InferRule, one } from '../rule.ts';

// ⌈(limit − start)/delta⌉ elements where all three are known, else a symbol.
export const Range: InferRule = {
  opTypes: ['Range'],
  shapes: (c) => {
    const [start, limit, delta] = [c.x(0).value?.[0], c.x(1).value?.[0], c.x(2).value?.[0]];
    const numeric = typeof start === 'number' && typeof limit === 'number' && typeof delta === 'number' && delta !== 0;
    return one([numeric ? Math.max(0, Math.ceil((limit - start) / delta)) : c.sym(0)]);
  },
};
