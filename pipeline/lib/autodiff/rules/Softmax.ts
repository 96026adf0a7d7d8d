import { attrInt } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// y = softmax(x) along one axis (opset ≥ 13 semantics): dx = y·(dy - Σ_axis dy·y).
export const Softmax: GradRule = {
  opTypes: ['Softmax'],
  grad: (c) => {
    const { e } = c;
    const [y, dy] = [c.output(0), c.dy()];
    const dot = e.reduce('ReduceSum', e.op('Mul', [dy, y]), [attrInt(c.node, 'axis', -1)], true);
    return [e.op('Mul', [y, e.op('Sub', [dy, dot])])];
  },
};
