import type { GradRule } from '../rule.ts';

// d(1/x) = -dx/x² = -y²·dx: reuse the output.
export const Reciprocal: GradRule = {
  opTypes: ['Reciprocal'],
  grad: (c) => {
    const { e } = c;
    const y = c.output(0);
    return [e.op('Neg', [e.op('Mul', [c.dy(), e.op('Mul', [y, y])])])];
  },
};
