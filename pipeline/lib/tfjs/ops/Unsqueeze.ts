import * as tf from '@tensorflow/tfjs-core';
import { normAxis, type OpUnit } from '../op.ts';

export const Unsqueeze: OpUnit = {
  opType: 'Unsqueeze',
  run(ctx) {
    const x = ctx.input(0);
    const axesValues = ctx.values(1);
    const rank = x.rank + axesValues.length;
    // Axes refer to the output; a reshape inserts the 1s (its gradient is a reshape back).
    const axes = new Set(axesValues.map((a) => normAxis(ctx, a, rank)));
    if (axes.size !== axesValues.length) throw ctx.error(`repeated axis in [${axesValues}]`);
    const shape: number[] = [];
    let next = 0;
    for (let i = 0; i < rank; i++) shape.push(axes.has(i) ? 1 : x.shape[next++]!);
    return [tf.reshape(x, shape)];
  },
};
