import { attrString } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// Gelu (opset 20). approximate = 'none': y = x·Φ(x), Φ(x) = ½(1 + erf(x/√2)), so
// dy/dx = Φ(x) + x·φ(x) with φ(x) = exp(-x²/2)/√(2π).
// approximate = 'tanh': y = ½x(1 + t), t = tanh(u), u = √(2/π)·(x + 0.044715x³), so
// dy/dx = ½(1 + t) + ½x(1 - t²)·√(2/π)·(1 + 3·0.044715x²).
// Both are written with opset-17 ops (Erf, Tanh, Exp, Mul, Add), so the backward graph
// needs no newer op than the forward one.
const CUBIC = 0.044715;

export const Gelu: GradRule = {
  opTypes: ['Gelu'],
  grad: (c) => {
    const { e, node } = c;
    const x = c.input(0);
    const approximate = attrString(node, 'approximate', 'none');
    const k = (v: number): string => e.scalar(v, x);
    const mul = (p: string, q: string): string => e.op('Mul', [p, q]);
    const half = k(0.5);
    const x2 = mul(x, x);
    let slope: string;
    if (approximate === 'none') {
      const cdf = mul(half, e.op('Add', [k(1), e.op('Erf', [mul(x, k(Math.SQRT1_2))])]));
      const pdf = mul(e.op('Exp', [mul(x2, k(-0.5))]), k(1 / Math.sqrt(2 * Math.PI)));
      slope = e.op('Add', [cdf, mul(x, pdf)]);
    } else if (approximate === 'tanh') {
      const s = Math.sqrt(2 / Math.PI);
      const t = e.op('Tanh', [mul(k(s), e.op('Add', [x, mul(k(CUBIC), mul(x2, x))]))]);
      const du = e.op('Add', [k(s), mul(k(3 * CUBIC * s), x2)]);
      const sech2 = e.op('Sub', [k(1), mul(t, t)]);
      slope = mul(half, e.op('Add', [e.op('Add', [k(1), t]), mul(mul(x, sech2), du)]));
    } else {
      throw new Error(`autodiff: Gelu node "${node.name}" has approximate = ${JSON.stringify(approximate)}; only 'none' and 'tanh' exist`);
    }
    return [mul(c.dy(), slope)];
  },
};
