import * as tf from '@tensorflow/tfjs-core';
import { normAxis, wrapNegative, type OpUnit } from '../op.ts';

export const OneHot: OpUnit = {
  opType: 'OneHot',
  run(ctx) {
    const raw = ctx.input(0);
    const [depth] = ctx.values(1);
    if (depth === undefined || !Number.isInteger(depth) || depth < 1) throw ctx.error(`depth must be a positive integer, got ${depth}`);
    const values = ctx.input(2);
    const [off, on] = ctx.values(2) as [number, number];
    if (normAxis(ctx, ctx.attrInt('axis', -1), raw.rank + 1) !== raw.rank) throw ctx.error('only the last axis is supported');
    // ONNX counts negative indices from the end; out-of-range indices give an all-off row.
    const indices = wrapNegative(raw, depth);
    // tf.oneHot with a float dtype is broken on wasm: make int32 and cast.
    const hot = tf.cast(tf.oneHot(indices, depth), values.dtype);
    if (off === 0 && on === 1) return [hot];
    return [tf.add(tf.mul(hot, tf.scalar(on - off, values.dtype)), tf.scalar(off, values.dtype))];
  },
};
