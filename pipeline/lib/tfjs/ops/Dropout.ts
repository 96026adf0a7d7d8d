import * as tf from '@tensorflow/tfjs-core';
import type { OpUnit } from '../op.ts';

export const Dropout: OpUnit = {
  opType: 'Dropout',
  random: true,
  run(ctx) {
    if (ctx.node.outputs.slice(1).some((o) => o !== '')) throw ctx.error('the mask output is not supported');
    const x = ctx.input(0);
    const ratio = ctx.optionalInput(1) ? ctx.values(1)[0]! : 0.5;
    const training = ctx.optionalInput(2) ? ctx.values(2)[0] !== 0 : false;
    if (!training || ratio === 0) return [x];
    // The node's `seed` attribute is ignored: masks come from the run's seeded stream.
    return [tf.mul(x, ctx.dropoutMask(x.shape, ratio))];
  },
};
