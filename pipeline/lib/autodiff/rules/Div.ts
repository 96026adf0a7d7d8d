import { eachInput, type GradRule } from '../rule.ts';

// y = a / b: da = dy / b, db = -dy·a / b² = -dy·y / b (reusing y saves a division).
export const Div: GradRule = {
  opTypes: ['Div'],
  grad: (c) => {
    const { e } = c;
    const [a, b, y, dy] = [c.input(0), c.input(1), c.output(0), c.dy()];
    return eachInput(c, 2, (i) =>
      i === 0
        ? e.unbroadcast(e.op('Div', [dy, b]), c.outShape(), a)
        : e.op('Neg', [e.unbroadcast(e.op('Div', [e.op('Mul', [dy, y]), b]), c.outShape(), b)]),
    );
  },
};
