import type { GradRule } from '../rule.ts';

// d √x = dx / (2√x): reuse the output.
export const Sqrt: GradRule = {
  opTypes: ['Sqrt'],
  grad: (c) => {
    const y = c.output(0);
    return [c.e.op('Div', [c.e.op('Mul', [c.dy(), c.e.scalar(0.5, y)]), y])];
  },
};
