// Building blocks shaped for the speed profile of tfjs' wasm backend (measured on this
// machine, batch 256 seed model): plain 2-D matMuls go to XNNPACK and are fast; transposed
// or batched ones, axis-0 reductions and 2-D transposes of tall matrices are slow. Each
// block computes the same values on every backend.
import * as tf from '@tensorflow/tfjs-core';

/** Swaps the last two axes. A tall 2-D [N,K] transpose takes ~1 ms for 2560×64 on wasm,
 * the same data as a 3-D [N/b,b,K] → [K,N/b,b] transpose ~0.14 ms, so rows are grouped. */
export function swapLastTwo(t: tf.Tensor): tf.Tensor {
  if (t.rank === 2) {
    const [n, k] = t.shape as [number, number];
    const group = [64, 32, 16, 8].find((b) => n > b && n % b === 0);
    if (group) return tf.reshape(tf.transpose(tf.reshape(t, [n / group, group, k]), [2, 0, 1]), [k, n]);
  }
  const perm = Array.from({ length: t.rank }, (_, i) => i);
  perm[t.rank - 2] = t.rank - 1;
  perm[t.rank - 1] = t.rank - 2;
  return tf.transpose(t, perm);
}

/** a @ b for 2-D operands, or 3-D operands with the same batch size, whose gradient is
 * plain matmuls of explicitly transposed operands (tfjs' own uses transposed products). */
export const plainMatMul = tf.customGrad((...args) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      return [tf.matMul(dy, swapLastTwo(sb)), tf.matMul(swapLastTwo(sa), dy)];
    },
  };
});

/** Column sums of a 2-D [N,S] tensor, as [S]. tf.sum over axis 0 takes ~1 ms for 2560×64 on
 * wasm; a fast transpose and a row sum ~0.25 ms (a ones-vector matmul ~0.4: XNNPACK repacks
 * the tall operand each call). */
export function columnSums(t: tf.Tensor): tf.Tensor {
  return tf.sum(swapLastTwo(t), 1);
}

/** x [N,S] + bias [S] with the bias gradient as column sums. */
export const biasAdd = tf.customGrad((...args) => {
  const [x, bias] = args as [tf.Tensor, tf.Tensor];
  // x's gradient must be a new tensor: the tape disposes dy after this call.
  return { value: tf.add(x, bias), gradFunc: (dy: tf.Tensor) => [tf.clone(dy), columnSums(dy)] };
});
