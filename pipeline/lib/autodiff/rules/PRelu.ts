import type { GradRule } from '../rule.ts';

// y = x for x ≥ 0, slope·x for x < 0, slope broadcast to x's shape (unidirectionally).
// dx = dy where x > 0, slope·dy elsewhere (slope at x = 0, as PyTorch takes it);
// dslope = x·dy where x ≤ 0, summed over the axes slope was broadcast along.
export const PRelu: GradRule = {
  opTypes: ['PRelu'],
  grad: (c) => {
    const { e } = c;
    const [x, slope, dy] = [c.input(0), c.input(1), c.dy()];
    const zero = e.scalar(0, x);
    const positive = e.op('Greater', [x, zero]);
    return [
      c.needs(0) ? e.op('Where', [positive, dy, e.op('Mul', [dy, slope])]) : undefined,
      c.needs(1) ? e.unbroadcast(e.op('Where', [positive, zero, e.op('Mul', [dy, x])]), c.outShape(), slope) : undefined,
    ];
  },
};
