import { attrFloat } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// y = x for x ≥ 0, alpha·x for x < 0: dx = dy where x > 0, alpha·dy elsewhere (alpha at
// x = 0, as PyTorch's leaky_relu_backward takes it).
export const LeakyRelu: GradRule = {
  opTypes: ['LeakyRelu'],
  grad: (c) => {
    const { e } = c;
    const [x, dy] = [c.input(0), c.dy()];
    const alpha = e.scalar(attrFloat(c.node, 'alpha', 0.01), x);
    return [e.op('Where', [e.op('Greater', [x, e.scalar(0, x)]), dy, e.op('Mul', [dy, alpha])])];
  },
};
