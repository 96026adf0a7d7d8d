import type { GradRule } from '../rule.ts';

// d|x| = sign(x) dx, 0 at x = 0 (as PyTorch takes it).
export const Abs: GradRule = {
  opTypes: ['Abs'],
  grad: (c) => [c.e.op('Mul', [c.dy(), c.e.op('Sign', [c.input(0)])])],
};
