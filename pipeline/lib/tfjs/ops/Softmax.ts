import * as tf from '@tensorflow/tfjs-core';
import { normAxis, type OpUnit } from '../op.ts';

export const Softmax: OpUnit = {
  opType: 'Softmax',
  run(ctx) {
    const x = ctx.input(0);
    const axis = normAxis(ctx, ctx.attrInt('axis', -1), x.rank);
    if (axis === x.rank - 1) return [tf.softmax(x)];
    // tf.softmax works on the last axis only: move the axis there and back.
    const perm = Array.from({ length: x.rank }, (_, i) => i);
    perm[axis] = x.rank - 1;
    perm[x.rank - 1] = axis;
    return [tf.transpose(tf.softmax(tf.transpose(x, perm)), perm)];
  },
};
