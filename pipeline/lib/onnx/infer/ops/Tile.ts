import { type InferRule, one } from '../rule.ts';

// Each dim times its repeat count (known contents of input 1), as a canonical product.
export const Tile: InferRule = {
  opTypes: ['Tile'],
  shapes: (c) => {
    const s = c.x(0).shape;
    const repeats = c.x(1).value;
    if (!s) return one(undefined);
    if (!repeats) return one(c.symbols(s.length));
    return one(s.map((d, i) => c.products.product([d, repeats[i]!])));
  },
};
