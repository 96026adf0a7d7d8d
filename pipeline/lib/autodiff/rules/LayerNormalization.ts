import { attrFloat, attrInt } from '../../onnx/attrs.ts';
import { DataType } from '../../onnx/ir.ts';
import { standardize, standardizeBackward, type Standardized } from '../normalize.ts';
import type { GradRule } from '../rule.ts';

// y = x̂·scale + bias with x̂ = (x - μ)·r, r = 1/√(σ² + ε), statistics over the axes from
// `axis` to the last. dbias = Σ dy and dscale = Σ dy·x̂ over the other axes; with g = dy·scale,
// dx = r·(g - mean(g) - x̂·mean(g·x̂)) (normalize.ts). μ and r are the node's own Mean and
// InvStdDev outputs where they have x's element type (stash_type), so the forward
// statistics serve the backward too; otherwise they are recomputed in x's type. Gradients
// flowing into those outputs are not supported.
export const LayerNormalization: GradRule = {
  opTypes: ['LayerNormalization'],
  grad: (c) => {
    const { e, node } = c;
    if (c.dyMaybe(1) !== undefined || c.dyMaybe(2) !== undefined) {
      throw new Error(`autodiff: no gradient through the Mean/InvStdDev outputs of LayerNormalization node "${node.name}"`);
    }
    const [x, scale, dy] = [c.input(0), c.input(1), c.dy()];
    const axis = attrInt(node, 'axis', -1);
    // Negative axes need no rank: from `first` (< 0) up to -1.
    const first = axis < 0 ? axis : axis - e.rank(x, `LayerNormalization node "${node.name}" with axis ≥ 0`);
    const axes = Array.from({ length: -first }, (_, i) => first + i);
    let stats: Standardized | undefined;
    if (c.needs(0) || c.needs(1)) {
      if (attrInt(node, 'stash_type', DataType.FLOAT) === e.dtype(x)) {
        const inv = c.output(2);
        stats = { xhat: e.op('Mul', [e.op('Sub', [x, c.output(1)]), inv]), inv };
      } else {
        stats = standardize(e, x, axes, e.scalar(attrFloat(node, 'epsilon', 1e-5), x));
      }
    }
    return [
      c.needs(0) ? standardizeBackward(e, stats!, e.op('Mul', [dy, scale]), axes) : undefined,
      c.needs(1) ? e.unbroadcast(e.op('Mul', [dy, stats!.xhat]), c.outShape(), scale) : undefined,
      c.needs(2) ? e.unbroadcast(dy, c.outShape(), c.input(2)) : undefined,
    ];
  },
};
