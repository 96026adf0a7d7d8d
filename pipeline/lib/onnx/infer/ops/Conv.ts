import type { Dim } from '../../ir.ts';
import { attrInts } from '../../attrs.ts';
import { convAttributes, convOutput, convPads, convTransposeAxis, Ints } from '../../conv-geometry.ts';
import { type InferRule, one } from '../rule.ts';

// Static arithmetic: what does not fold (a symbol in a formula that needs its value) is unknown.
const z = new Ints<string | undefined>(() => undefined);

// Conv: [N, W's dim 0, windows per axis]; ConvTranspose: [N, W's dim 1 · group, size per
// axis]; the spatial sizes from conv-geometry.ts (shared with the gradient rules), a symbol
// where they depend on sizes known only at runtime. The spatial rank comes from X, W or
// kernel_shape, whichever is known.
export const Conv: InferRule = {
  opTypes: ['Conv', 'ConvTranspose'],
  shapes: (c) => {
    const [x, w] = [c.x(0).shape, c.x(1).shape];
    const rank = x ? x.length - 2 : w ? w.length - 2 : attrInts(c.node, 'kernel_shape')?.length;
    if (rank === undefined) return one(undefined);
    const a = convAttributes(c.node, rank);
    const transpose = c.node.opType === 'ConvTranspose';
    const spatial = Array.from({ length: rank }, (_, i): Dim => {
      const [n, k] = [x?.[2 + i], a.kernel?.[i] ?? w?.[2 + i]];
      const size = transpose ? convTransposeAxis(z, a, i, n, k).out : convOutput(z, a, i, n, k, convPads(z, a, i, n, k));
      return size ?? c.sym(2 + i);
    });
    const channels = transpose ? (w ? c.products.product([w[1]!, a.group]) : c.sym(1)) : w?.[0] ?? c.sym(1);
    return one([x?.[0] ?? c.sym(0), channels, ...spatial]);
  },
};
