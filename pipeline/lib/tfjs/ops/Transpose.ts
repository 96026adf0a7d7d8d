import * as tf from '@tensorflow/tfjs-core';
import type { OpUnit } from '../op.ts';

export const Transpose: OpUnit = {
  opType: 'Transpose',
  run(ctx) {
    const x = ctx.input(0);
    // ONNX's default perm reverses the axes.
    const reversed = Array.from({ length: x.rank }, (_, i) => x.rank - 1 - i);
    return [tf.transpose(x, ctx.attrInts('perm', reversed))];
  },
};
