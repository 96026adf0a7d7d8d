import * as tf from '@tensorflow/tfjs-core';
import { normAxis, type OpUnit } from '../op.ts';

export const Squeeze: OpUnit = {
  opType: 'Squeeze',
  run(ctx) {
    const x = ctx.input(0);
    // Without axes every size-1 axis goes (opset ≥ 13 passes axes as an input).
    const axes = ctx.optionalInput(1) ? ctx.values(1).map((a) => normAxis(ctx, a, x.rank)) : undefined;
    for (const a of axes ?? []) if (x.shape[a] !== 1) throw ctx.error(`cannot squeeze axis ${a} of size ${x.shape[a]}`);
    return [tf.squeeze(x, axes)];
  },
};
