import { attrFloat } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// y = gamma·x for x > 0, gamma·alpha·(exp(x) - 1) elsewhere: dx = gamma·dy where x > 0,
// and dy·gamma·alpha·exp(x) = dy·(y + gamma·alpha) elsewhere (reusing y).
export const Selu: GradRule = {
  opTypes: ['Selu'],
  grad: (c) => {
    const { e, node } = c;
    const [x, y, dy] = [c.input(0), c.output(0), c.dy()];
    const alpha = attrFloat(node, 'alpha', 1.67326319217681884765625);
    const gamma = attrFloat(node, 'gamma', 1.05070102214813232421875);
    const positive = e.op('Greater', [x, e.scalar(0, x)]);
    const negative = e.op('Mul', [dy, e.op('Add', [y, e.scalar(gamma * alpha, x)])]);
    return [e.op('Where', [positive, e.op('Mul', [dy, e.scalar(gamma, x)]), negative])];
  },
};
