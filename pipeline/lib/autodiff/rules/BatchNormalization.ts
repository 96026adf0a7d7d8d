import { attrFloat, attrInt } from '../../onnx/attrs.ts';
import { channelSum, perChannel } from '../normalize.ts';
import type { GradRule } from '../rule.ts';

// Inference form: y = scale·(x - mean)·r + B with r = 1/√(var + ε), all four parameters per
// channel (axis 1), broadcast over N and the spatial axes. With t = Σ dy and
// s = Σ dy·(x - mean) over every axis but 1: dx = dy·scale·r, dscale = s·r, dB = t,
// dmean = -scale·r·t, dvar = -½·scale·r³·s. The training form (training_mode=1; before
// opset 14, a node with the optional statistics outputs) normalises by the batch's own
// statistics instead and is not covered.
export const BatchNormalization: GradRule = {
  opTypes: ['BatchNormalization'],
  grad: (c) => {
    const { e, node } = c;
    const training = e.opset >= 14 ? attrInt(node, 'training_mode', 0) !== 0 : node.outputs.filter((o) => o !== '').length > 1;
    if (training) throw new Error(`autodiff: no gradient for BatchNormalization node "${node.name}" in training mode (batch statistics)`);
    const [x, scale, bias, mean, variance] = [0, 1, 2, 3, 4].map((i) => c.input(i)) as [string, string, string, string, string];
    for (const p of [scale, bias, mean, variance]) {
      if (e.dtype(p) !== e.dtype(x)) throw new Error(`autodiff: BatchNormalization node "${node.name}" mixes element types (input "${p}" differs from X)`);
    }
    const dy = c.dy();
    const rank = e.rank(x, `the gradient of BatchNormalization node "${node.name}"`);
    const r = e.op('Reciprocal', [e.op('Sqrt', [e.op('Add', [variance, e.scalar(attrFloat(node, 'epsilon', 1e-5), variance)])])]);
    const scaleR = e.op('Mul', [scale, r]);
    const t = (): string => channelSum(e, dy, rank);
    const s = (): string => channelSum(e, e.op('Mul', [dy, e.op('Sub', [x, perChannel(e, mean, rank)])]), rank);
    return [
      c.needs(0) ? e.op('Mul', [dy, perChannel(e, scaleR, rank)]) : undefined,
      c.needs(1) ? e.op('Mul', [s(), r]) : undefined,
      c.needs(2) ? t() : undefined,
      c.needs(3) ? e.op('Neg', [e.op('Mul', [scaleR, t()])]) : undefined,
      c.needs(4) ? e.op('Mul', [e.op('Mul', [scaleR, e.op('Mul', [r, r])]), e.op('Mul', [s(), e.scalar(-0.5, x)])]) : undefined,
    ];
  },
};
