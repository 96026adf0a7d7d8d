import * as tf from '@tensorflow/tfjs-core';
import { normAxis, type OpUnit } from '../op.ts';

export const Split: OpUnit = {
  opType: 'Split',
  run(ctx) {
    const x = ctx.input(0);
    const axis = normAxis(ctx, ctx.attrInt('axis', 0), x.rank);
    const size = x.shape[axis]!;
    const parts = ctx.node.outputs.length;
    let sizes: number[];
    if (ctx.optionalInput(1)) {
      sizes = ctx.values(1);
      if (sizes.length !== parts) throw ctx.error(`${sizes.length} split sizes for ${parts} outputs`);
    } else {
      if (size % parts !== 0) throw ctx.error(`axis ${axis} of size ${size} does not split evenly into ${parts}`);
      sizes = new Array<number>(parts).fill(size / parts);
    }
    if (sizes.reduce((a, b) => a + b, 0) !== size) throw ctx.error(`split sizes [${sizes}] do not add up to ${size}`);
    // One tf.slice per part: tf.split is slow on wasm (FACTS.md).
    const begin = new Array<number>(x.rank).fill(0);
    return sizes.map((s) => {
      const shape = [...x.shape];
      shape[axis] = s;
      const part = tf.slice(x, [...begin], shape);
      begin[axis]! += s;
      return part;
    });
  },
};
