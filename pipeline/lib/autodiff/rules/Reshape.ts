import type { GradRule } from '../rule.ts';

// Ops that only change how the elements are shaped: reshape the gradient back.
export const Reshape: GradRule = {
  opTypes: ['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten'],
  grad: (c) => [c.e.reshapeLike(c.dy(), c.input(0))],
};
