import { attrInt } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// y = x - log Σ_axis exp(x) along one axis (opset ≥ 13 semantics): with softmax(x) = exp(y),
// dx = dy - exp(y)·Σ_axis dy.
export const LogSoftmax: GradRule = {
  opTypes: ['LogSoftmax'],
  grad: (c) => {
    const { e } = c;
    const [y, dy] = [c.output(0), c.dy()];
    const total = e.reduce('ReduceSum', dy, [attrInt(c.node, 'axis', -1)], true);
    return [e.op('Sub', [dy, e.op('Mul', [e.op('Exp', [y]), total])])];
  },
};
