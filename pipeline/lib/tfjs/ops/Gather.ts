import * as tf from '@tensorflow/tfjs-core';
import { normAxis, wrapNegative, type OpUnit } from '../op.ts';
import { plainMatMul } from '../wasm-friendly.ts';

export const Gather: OpUnit = {
  opType: 'Gather',
  run(ctx) {
    const data = ctx.input(0);
    const axis = normAxis(ctx, ctx.attrInt('axis', 0), data.rank);
    const n = data.shape[axis]!;
    const raw = ctx.input(1);
    // An index out of range would silently give a zero row on the one-hot path.
    const [lo, hi] = [tf.min(raw).dataSync()[0]!, tf.max(raw).dataSync()[0]!];
    if (raw.size > 0 && (lo < -n || hi >= n)) throw ctx.error(`indices span [${lo}, ${hi}], outside [${-n}, ${n - 1}]`);
    // ONNX allows negative indices (counting from the end); tfjs does not.
    const indices = wrapNegative(raw, n);
    if (data.dtype === 'float32' && axis === 0) {
      // A row lookup in a float table (an embedding) as one-hot × table: wasm lacks
      // UnsortedSegmentSum, which tf.gather's gradient needs, and this gradient is a plain
      // matmul. tf.oneHot with a float dtype is broken on wasm, hence the cast.
      const oneHot = tf.cast(tf.oneHot(tf.reshape(indices, [-1]), n), 'float32');
      const rows = plainMatMul(oneHot, tf.reshape(data, [n, -1]));
      return [tf.reshape(rows, [...indices.shape, ...data.shape.slice(1)])];
    }
    return [tf.gather(data, indices, axis)];
  },
};
