import type { GradRule } from '../rule.ts';

export const Neg: GradRule = {
  opTypes: ['Neg'],
  grad: (c) => [c.e.op('Neg', [c.dy()])],
};
