import { attrFloat, attrInt } from '../../onnx/attrs.ts';
import { channelSum, perChannel, standardize, standardizeBackward } from '../normalize.ts';
import type { GradRule } from '../rule.ts';

// y = scale·x̂ + bias with x̂ = (x - μ)·r, r = 1/√(σ² + ε), statistics per (n, group) over the
// group's channels and the spatial axes. In x [N, C, D…] viewed as [N, G, C/G·D…] (Reshape
// [0, G, -1]) they are over the last axis, where normalize.ts's backward applies to g = dL/dx̂.
// scale and bias are per group ([G]) in opset 18, per channel ([C]) from opset 21; dscale =
// Σ dy·x̂ and dbias = Σ dy over everything but the group, or the channel. The backward runs
// in x's element type whatever stash_type (opset 21: the forward's precision).
export const GroupNormalization: GradRule = {
  opTypes: ['GroupNormalization'],
  grad: (c) => {
    const { e, node } = c;
    const [x, scale, dy] = [c.input(0), c.input(1), c.dy()];
    const groups = attrInt(node, 'num_groups', 0);
    if (groups < 1) throw new Error(`autodiff: GroupNormalization node "${node.name}" lacks a positive num_groups`);
    const grouped = (v: string): string => e.op('Reshape', [v, e.ints([0, groups, -1])]);
    const stats = standardize(e, grouped(x), [2], e.scalar(attrFloat(node, 'epsilon', 1e-5), x));
    const dx = (g: string): string => e.reshapeLike(standardizeBackward(e, stats, g, [2]), x);
    if (e.opset >= 21) {
      const rank = e.rank(x, `the gradient of GroupNormalization node "${node.name}" (per-channel scale)`);
      return [
        c.needs(0) ? dx(grouped(e.op('Mul', [dy, perChannel(e, scale, rank)]))) : undefined,
        c.needs(1) ? channelSum(e, e.op('Mul', [dy, e.reshapeLike(stats.xhat, x)]), rank) : undefined,
        c.needs(2) ? channelSum(e, dy, rank) : undefined,
      ];
    }
    const dyGrouped = grouped(dy);
    const groupSum = (v: string): string => e.reduce('ReduceSum', v, [0, 2], false);
    return [
      c.needs(0) ? dx(e.op('Mul', [dyGrouped, e.unsqueeze(scale, [1])])) : undefined,
      c.needs(1) ? groupSum(e.op('Mul', [dyGrouped, stats.xhat])) : undefined,
      c.needs(2) ? groupSum(dyGrouped) : undefined,
    ];
  },
};
