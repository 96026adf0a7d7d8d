import { attr } from '../../onnx/builder.ts';
import type { Dim } from '../../onnx/ir.ts';
import type { GradRule } from '../rule.ts';

/** Swaps the last two axes of a value of rank `rank`. */
function lastTwoSwapped(rank: number): number[] {
  return [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
}

// y = a @ b, numpy style: a 1-D a is promoted to [1,k] and a 1-D b to [k,1] (the added axis
// dropped from y), and the leading batch axes broadcast. Working on the promoted operands,
// da = dy @ bᵀ and db = aᵀ @ dy, each summed over the batch axes its operand was broadcast
// along. A 2-D b under a batched a (a linear layer) gets db as one GEMM over the flattened
// batch, instead of a batch of products summed afterwards.
export const MatMul: GradRule = {
  opTypes: ['MatMul'],
  grad: (c) => {
    const { e } = c;
    const [a, b] = [c.input(0), c.input(1)];
    const why = `MatMul node "${c.node.name}"`;
    const [ra, rb] = [e.rank(a, why), e.rank(b, why)];
    const sa: Dim[] = ra === 1 ? [1, ...e.shape(a)!] : e.shape(a)!;
    const sb: Dim[] = rb === 1 ? [...e.shape(b)!, 1] : e.shape(b)!;
    const pa = ra === 1 ? e.unsqueeze(a, [0]) : a;
    const pb = rb === 1 ? e.unsqueeze(b, [-1]) : b;
    const dropped = [...(ra === 1 ? [-2] : []), ...(rb === 1 ? [-1] : [])];
    const dy = dropped.length > 0 ? e.unsqueeze(c.dy(), dropped) : c.dy();
    const ys = c.outShape();
    const batch = ys?.slice(0, ys.length - 2 + dropped.length);
    const rankY = Math.max(sa.length, sb.length);
    const gemm = (x: string, y: string, transA: number, transB: number): string =>
      e.op('Gemm', [x, y], { transA: attr.int(transA), transB: attr.int(transB) });
    const swap = (x: string, rank: number): string => e.op('Transpose', [x], { perm: attr.ints(lastTwoSwapped(rank)) });

    let da: string | undefined;
    if (c.needs(0)) {
      da = sa.length === 2 && sb.length === 2
        ? gemm(dy, pb, 0, 1)
        : e.unbroadcast(e.op('MatMul', [dy, swap(pb, sb.length)]), batch && [...batch, ...sa.slice(-2)], pa);
      if (ra === 1) da = e.squeeze(da, [0]);
    }
    let db: string | undefined;
    if (c.needs(1)) {
      if (sb.length === 2) {
        const flat = (x: string, rank: number): string => (rank > 2 ? e.op('Flatten', [x], { axis: attr.int(rank - 1) }) : x);
        db = gemm(flat(pa, sa.length), flat(dy, rankY), 1, 0);
      } else {
        db = e.unbroadcast(e.op('MatMul', [swap(pa, sa.length), dy]), batch && [...batch, ...sb.slice(-2)], pb);
      }
      if (rb === 1) db = e.squeeze(db, [-1]);
    }
    return [da, db];
  },
};
