import type { GradRule } from '../rule.ts';

// The gradient passes where x > 0 (0 at x = 0, as PyTorch and tfjs take it).
export const Relu: GradRule = {
  opTypes: ['Relu'],
  grad: (c) => {
    const { e } = c;
    const x = c.input(0);
    const zero = e.scalar(0, x);
    return [e.op('Where', [e.op('Greater', [x, zero]), c.dy(), zero])];
  },
};
