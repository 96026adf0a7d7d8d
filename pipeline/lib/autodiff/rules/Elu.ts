import { attrFloat } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// y = x for x > 0, alpha·(exp(x) - 1) elsewhere: dx = dy where x > 0, and
// dy·alpha·exp(x) = dy·(y + alpha) elsewhere (reusing y; alpha at x = 0, as PyTorch).
export const Elu: GradRule = {
  opTypes: ['Elu'],
  grad: (c) => {
    const { e } = c;
    const [x, y, dy] = [c.input(0), c.output(0), c.dy()];
    const alpha = e.scalar(attrFloat(c.node, 'alpha', 1), x);
    return [e.op('Where', [e.op('Greater', [x, e.scalar(0, x)]), dy, e.op('Mul', [dy, e.op('Add', [y, alpha])])])];
  },
};
