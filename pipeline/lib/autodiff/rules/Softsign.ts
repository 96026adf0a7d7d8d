import type { GradRule } from '../rule.ts';

// y = x / (1 + |x|): dx = dy / (1 + |x|)².
export const Softsign: GradRule = {
  opTypes: ['Softsign'],
  grad: (c) => {
    const { e } = c;
    const x = c.input(0);
    const d = e.op('Add', [e.scalar(1, x), e.op('Abs', [x])]);
    return [e.op('Div', [c.dy(), e.op('Mul', [d, d])])];
  },
};
