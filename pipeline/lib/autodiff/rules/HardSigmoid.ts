import { attrFloat } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// y = max(0, min(1, t)), t = alpha·x + beta: dx = alpha·dy where 0 < t < 1, 0 elsewhere
// (0 at the kinks, as PyTorch's hardsigmoid_backward takes it).
export const HardSigmoid: GradRule = {
  opTypes: ['HardSigmoid'],
  grad: (c) => {
    const { e, node } = c;
    const [x, dy] = [c.input(0), c.dy()];
    const alpha = e.scalar(attrFloat(node, 'alpha', 0.2), x);
    const t = e.op('Add', [e.op('Mul', [x, alpha]), e.scalar(attrFloat(node, 'beta', 0.5), x)]);
    const inside = e.op('And', [e.op('Greater', [t, e.scalar(0, x)]), e.op('Less', [t, e.scalar(1, x)])]);
    return [e.op('Where', [inside, e.op('Mul', [dy, alpha]), e.scalar(0, x)])];
  },
};
