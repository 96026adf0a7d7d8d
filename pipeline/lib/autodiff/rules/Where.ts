import type { GradRule } from '../rule.ts';

// y = where(cond, a, b): each branch gets the gradient where it was chosen, 0 elsewhere.
// The condition is boolean and gets none.
export const Where: GradRule = {
  opTypes: ['Where'],
  grad: (c) => {
    const { e } = c;
    const [cond, dy] = [c.input(0), c.dy()];
    const zero = (i: number): string => e.scalar(0, c.input(i));
    return [
      undefined,
      c.needs(1) ? e.unbroadcast(e.op('Where', [cond, dy, zero(1)]), c.outShape(), c.input(1)) : undefined,
      c.needs(2) ? e.unbroadcast(e.op('Where', [cond, zero(2), dy]), c.outShape(), c.input(2)) : undefined,
    ];
  },
};
