import { attrFloat } from '../../onnx/attrs.ts';
import { channelSum, perChannel, standardize, standardizeBackward } from '../normalize.ts';
import type { GradRule } from '../rule.ts';

// y = scale·x̂ + B with x̂ = (x - μ)·r, r = 1/√(σ² + ε), statistics per (n, c) over the
// spatial axes 2… of x [N, C, D…]; scale and B per channel. The statistic axes are trailing,
// so with g = dy·scale, dx = r·(g - mean(g) - x̂·mean(g·x̂)) (normalize.ts); dscale = Σ dy·x̂
// and dB = Σ dy over every axis but 1.
export const InstanceNormalization: GradRule = {
  opTypes: ['InstanceNormalization'],
  grad: (c) => {
    const { e, node } = c;
    const [x, scale, dy] = [c.input(0), c.input(1), c.dy()];
    const rank = e.rank(x, `the gradient of InstanceNormalization node "${node.name}"`);
    if (rank < 3) throw new Error(`autodiff: InstanceNormalization node "${node.name}" has an input of rank ${rank}, without spatial axes`);
    const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
    const stats = standardize(e, x, axes, e.scalar(attrFloat(node, 'epsilon', 1e-5), x));
    return [
      c.needs(0) ? standardizeBackward(e, stats, e.op('Mul', [dy, perChannel(e, scale, rank)]), axes) : undefined,
      c.needs(1) ? channelSum(e, e.op('Mul', [dy, stats.xhat]), rank) : undefined,
      c.needs(2) ? channelSum(e, dy, rank) : undefined,
    ];
  },
};
