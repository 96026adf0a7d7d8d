import type { GradRule } from '../rule.ts';

// Mish (opset 18): y = x·t, t = tanh(softplus(x)); dx = dy·(t + x·(1 - t²)·σ(x)).
// With q = σ(-x), 1 + eˣ = 1/q, so t = (1 - q²)/(1 + q²) = σ(x)·(1 + q)/(1 + q²) and
// 1 - t² = 4q²/(1 + q²)²: no overflow for large x, no cancellation for very negative x,
// and no Softplus, which onnxruntime's CPU provider has only for float (Mish runs in double).
export const Mish: GradRule = {
  opTypes: ['Mish'],
  grad: (c) => {
    const { e } = c;
    const x = c.input(0);
    const one = e.scalar(1, x);
    const mul = (p: string, q: string): string => e.op('Mul', [p, q]);
    const s = e.op('Sigmoid', [x]);
    const q = e.op('Sigmoid', [e.op('Neg', [x])]);
    const d = e.op('Add', [one, mul(q, q)]);
    const t = e.op('Div', [mul(s, e.op('Add', [one, q])), d]);
    const sech2 = e.op('Div', [mul(e.scalar(4, x), mul(q, q)), mul(d, d)]);
    return [mul(c.dy(), e.op('Add', [t, mul(mul(x, sech2), s)]))];
  },
};
