import type { GradRule } from '../rule.ts';

export const Log: GradRule = {
  opTypes: ['Log'],
  grad: (c) => [c.e.op('Div', [c.dy(), c.input(0)])],
};
