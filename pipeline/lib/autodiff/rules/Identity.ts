import type { GradRule } from '../rule.ts';

export const Identity: GradRule = {
  opTypes: ['Identity'],
  grad: (c) => [c.dy()],
};
