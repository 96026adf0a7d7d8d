import type { GradRule } from '../rule.ts';

// d exp(x) = exp(x) dx: reuse the output.
export const Exp: GradRule = {
  opTypes: ['Exp'],
  grad: (c) => [c.e.op('Mul', [c.dy(), c.output(0)])],
};
