import { attr } from '../../onnx/builder.ts';
import { attrFloat, attrInt, optionalInput } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// y = alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A (B' likewise), all 2-D.
// dA' = alpha·dy·B'ᵀ and dB' = alpha·A'ᵀ·dy, each one Gemm whose trans flags absorb every
// transpose (dA = dA'ᵀ where transA, dB likewise); dC = beta·dy summed over C's broadcast axes.
export const Gemm: GradRule = {
  opTypes: ['Gemm'],
  grad: (c) => {
    const { e, node } = c;
    const [a, b, dy] = [c.input(0), c.input(1), c.dy()];
    const [ta, tb] = [attrInt(node, 'transA', 0), attrInt(node, 'transB', 0)];
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    const gemm = (x: string, y: string, transA: number, transB: number): string =>
      e.op('Gemm', [x, y], { alpha: attr.float(alpha), transA: attr.int(transA), transB: attr.int(transB) });
    const cIn = optionalInput(node, 2);
    let dc: string | undefined;
    if (cIn !== undefined && c.needs(2)) {
      dc = e.unbroadcast(dy, c.outShape(), cIn);
      if (beta !== 1) dc = e.op('Mul', [dc, e.scalar(beta, cIn)]);
    }
    return [
      c.needs(0) ? (ta ? gemm(b, dy, tb, 1) : gemm(dy, b, 0, 1 - tb)) : undefined,
      c.needs(1) ? (tb ? gemm(dy, a, 1, ta) : gemm(a, dy, 1 - ta, 0)) : undefined,
      dc,
    ];
  },
};
