import type { GradRule } from '../rule.ts';

// y = x^p: dx = dy·p·x^(p-1); dp = dy·y·ln x, taken as 0 where x ≤ 0 (as tfjs does), where
// ln x is undefined. The exponent may have another element type than x (an integer power).
export const Pow: GradRule = {
  opTypes: ['Pow'],
  grad: (c) => {
    const { e } = c;
    const [x, p, y, dy] = [c.input(0), c.input(1), c.output(0), c.dy()];
    const sameType = e.dtype(p) === e.dtype(x);
    const px = sameType ? p : e.cast(p, e.dtype(x));
    const dx = c.needs(0)
      ? e.unbroadcast(e.op('Mul', [dy, e.op('Mul', [px, e.op('Pow', [x, e.op('Sub', [px, e.scalar(1, x)])])])]), c.outShape(), x)
      : undefined;
    let dp: string | undefined;
    if (c.needs(1)) {
      const zero = e.scalar(0, x);
      const lnx = e.op('Where', [e.op('Greater', [x, zero]), e.op('Log', [x]), zero]);
      const g = e.unbroadcast(e.op('Mul', [e.op('Mul', [dy, y]), lnx]), c.outShape(), p);
      dp = sameType ? g : e.cast(g, e.dtype(p));
    }
    return [dx, dp];
  },
};
