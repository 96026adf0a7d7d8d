import { attrFloat } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// y = max(0, x) + min(0, alpha·(exp(x/alpha) - 1)): dx = dy where x > 0, and
// dy·exp(x/alpha) = dy·(y/alpha + 1) elsewhere (reusing y; 1 at x = 0, as PyTorch).
export const Celu: GradRule = {
  opTypes: ['Celu'],
  grad: (c) => {
    const { e } = c;
    const [x, y, dy] = [c.input(0), c.output(0), c.dy()];
    const alpha = e.scalar(attrFloat(c.node, 'alpha', 1), x);
    const negative = e.op('Mul', [dy, e.op('Add', [e.op('Div', [y, alpha]), e.scalar(1, x)])]);
    return [e.op('Where', [e.op('Greater', [x, e.scalar(0, x)]), dy, negative])];
  },
};
