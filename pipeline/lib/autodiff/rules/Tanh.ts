import type { GradRule } from '../rule.ts';

// d tanh(x) = (1 - y²) dx.
export const Tanh: GradRule = {
  opTypes: ['Tanh'],
  grad: (c) => {
    const { e } = c;
    const y = c.output(0);
    return [e.op('Mul', [c.dy(), e.op('Sub', [e.scalar(1, y), e.op('Mul', [y, y])])])];
  },
};
