import type { GradRule } from '../rule.ts';

// d sin(x) = cos(x) dx.
export const Sin: GradRule = {
  opTypes: ['Sin'],
  grad: (c) => [c.e.op('Mul', [c.dy(), c.e.op('Cos', [c.input(0)])])],
};
