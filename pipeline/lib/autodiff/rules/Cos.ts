import type { GradRule } from '../rule.ts';

// d cos(x) = -sin(x) dx.
export const Cos: GradRule = {
  opTypes: ['Cos'],
  grad: (c) => [c.e.op('Neg', [c.e.op('Mul', [c.dy(), c.e.op('Sin', [c.input(0)])])])],
};
