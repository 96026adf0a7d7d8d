// numpy-style MatMul, reduced to the matmuls wasm runs fast: operands are folded to 2-D
// (or 3-D with equal batch) and multiplied by plainMatMul, whose gradient avoids transposed
// products (FACTS.md).
import * as tf from '@tensorflow/tfjs-core';
import { product, type OpContext, type OpUnit } from '../op.ts';
import { plainMatMul } from '../wasm-friendly.ts';

function broadcastDims(ctx: OpContext, x: readonly number[], y: readonly number[]): number[] {
  return x.map((d, i) => {
    const e = y[i]!;
    if (d !== e && d !== 1 && e !== 1) throw ctx.error(`batch shapes [${x}] and [${y}] do not broadcast`);
    return d === 1 ? e : d;
  });
}

export const MatMul: OpUnit = {
  opType: 'MatMul',
  run(ctx) {
    const a = ctx.input(0);
    const b = ctx.input(1);
    if (a.rank < 2 || b.rank < 2) throw ctx.error(`1-D operands are not supported (shapes [${a.shape}] and [${b.shape}])`);
    const [m, k] = a.shape.slice(-2) as [number, number];
    const [k2, n] = b.shape.slice(-2) as [number, number];
    if (k !== k2) throw ctx.error(`inner sizes differ: [${a.shape}] @ [${b.shape}]`);
    const rank = Math.max(a.rank, b.rank) - 2;
    const pad = (t: tf.Tensor) => [...new Array<number>(rank - (t.rank - 2)).fill(1), ...t.shape.slice(0, -2)];
    const batchA = pad(a);
    const batchB = pad(b);
    // Where b's trailing batch axes are all 1 (a weight shared over them, e.g. x[C,B,T,D] @
    // W[C,1,D,F]), those axes of a fold into its rows: a[P,Q·M,K] @ b[P,K,N], 2-D when P = 1.
    let s = rank;
    while (s > 0 && batchB[s - 1] === 1) s--;
    if (batchA.slice(0, s).every((d, i) => d === batchB[i])) {
      const p = product(batchB.slice(0, s));
      const a3 = s === 0 ? tf.reshape(a, [-1, k]) : tf.reshape(a, [p, -1, k]);
      const b3 = s === 0 ? tf.reshape(b, [k, n]) : tf.reshape(b, [p, k, n]);
      return [tf.reshape(plainMatMul(a3, b3), [...batchA, m, n])];
    }
    // Otherwise materialise the broadcast (tf.broadcastTo's gradient sums it back).
    const batch = broadcastDims(ctx, batchA, batchB);
    const a3 = tf.reshape(tf.broadcastTo(a, [...batch, m, k]), [-1, m, k]);
    const b3 = tf.reshape(tf.broadcastTo(b, [...batch, k, n]), [-1, k, n]);
    return [tf.reshape(plainMatMul(a3, b3), [...batch, m, n])];
  },
};
