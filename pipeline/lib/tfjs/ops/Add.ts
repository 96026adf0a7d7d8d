import * as tf from '@tensorflow/tfjs-core';
import type { OpUnit } from '../op.ts';
import { biasAdd } from '../wasm-friendly.ts';

/** True when `small` broadcasts against `big` only along leading axes (a bias or a position
 * table): its shape is a suffix of big's, after dropping leading 1s. */
function isTrailingBroadcast(big: tf.Tensor, small: tf.Tensor): boolean {
  const dims = small.shape.slice(small.shape.findIndex((d) => d !== 1));
  if (small.size === 0 || dims.length === 0 || big.size === small.size) return false;
  return dims.every((d, i) => d === big.shape[big.rank - dims.length + i]);
}

export const Add: OpUnit = {
  opType: 'Add',
  run(ctx) {
    const a = ctx.input(0);
    const b = ctx.input(1);
    // Bias-like adds get a gradient without tfjs' slow axis-0 sum (see wasm-friendly.ts).
    for (const [big, small] of [[a, b], [b, a]] as const) {
      if (big.dtype === 'float32' && small.dtype === 'float32' && small.rank <= big.rank && isTrailingBroadcast(big, small)) {
        const s = small.size;
        const sum = biasAdd(tf.reshape(big, [-1, s]), tf.reshape(small, [s]));
        return [tf.reshape(sum, [...big.shape])];
      }
    }
    return [tf.add(a, b)];
  },
};
