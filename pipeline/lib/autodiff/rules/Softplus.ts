import type { GradRule } from '../rule.ts';

// y = ln(1 + exp(x)): dx = σ(x)·dy.
export const Softplus: GradRule = {
  opTypes: ['Softplus'],
  grad: (c) => [c.e.op('Mul', [c.dy(), c.e.op('Sigmoid', [c.input(0)])])],
};
