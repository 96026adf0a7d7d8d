import type { GradRule } from '../rule.ts';

// d σ(x) = y(1 - y) dx.
export const Sigmoid: GradRule = {
  opTypes: ['Sigmoid'],
  grad: (c) => {
    const { e } = c;
    const y = c.output(0);
    return [e.op('Mul', [c.dy(), e.op('Mul', [y, e.op('Sub', [e.scalar(1, y), y])])])];
  },
};
