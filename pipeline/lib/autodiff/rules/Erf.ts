import type { GradRule } from '../rule.ts';

// d erf(x) = (2/√π)·exp(-x²) dx.
export const Erf: GradRule = {
  opTypes: ['Erf'],
  grad: (c) => {
    const { e } = c;
    const x = c.input(0);
    const gauss = e.op('Exp', [e.op('Neg', [e.op('Mul', [x, x])])]);
    return [e.op('Mul', [c.dy(), e.op('Mul', [gauss, e.scalar(2 / Math.sqrt(Math.PI), x)])])];
  },
};
