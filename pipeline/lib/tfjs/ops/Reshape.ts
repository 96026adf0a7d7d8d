import * as tf from '@tensorflow/tfjs-core';
import type { OpUnit } from '../op.ts';

export const Reshape: OpUnit = {
  opType: 'Reshape',
  run(ctx) {
    const x = ctx.input(0);
    const allowZero = ctx.attrInt('allowzero', 0) !== 0;
    // A 0 copies the input's size on that axis (unless allowzero); tfjs resolves the -1.
    const shape = ctx.values(1).map((d, i) => {
      if (d !== 0 || allowZero) return d;
      const copied = x.shape[i];
      if (copied === undefined) throw ctx.error(`shape entry ${i} is 0 but the input has rank ${x.rank}`);
      return copied;
    });
    return [tf.reshape(x, shape)];
  },
};
