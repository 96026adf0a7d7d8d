import type { GradRule } from '../rule.ts';

// Expand is a broadcast: sum back over the broadcast axes. The shape input gets none.
export const Expand: GradRule = {
  opTypes: ['Expand'],
  grad: (c) => [c.e.unbroadcast(c.dy(), c.outShape(), c.input(0))],
};
