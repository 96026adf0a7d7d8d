import { eachInput, type GradRule } from '../rule.ts';

// y = a - q·b with q = trunc(a/b) (fmod=1; floor(a/b) for fmod=0, integers only), piecewise
// constant: da = dy and db = -dy·q, almost everywhere (as in PyTorch's fmod/remainder).
// q is recovered from the output as round((a - y)/b), exact whichever rounding made it.
export const Mod: GradRule = {
  opTypes: ['Mod'],
  grad: (c) => {
    const { e } = c;
    const [a, b, y, dy] = [c.input(0), c.input(1), c.output(0), c.dy()];
    return eachInput(c, 2, (i) => {
      if (i === 0) return e.unbroadcast(dy, c.outShape(), a);
      const q = e.op('Round', [e.op('Div', [e.op('Sub', [a, y]), b])]);
      return e.op('Neg', [e.unbroadcast(e.op('Mul', [dy, q]), c.outShape(), b)]);
    });
  },
};
