import * as tf from '@tensorflow/tfjs-core';
import { normAxis, product, type OpUnit } from '../op.ts';
import { columnSums } from '../wasm-friendly.ts';

/** Normalises the rows of x [N,S], then scale [S] and bias [S]; the gradient is the fused
 * closed form, far fewer kernels than differentiating the composed ops. */
function layerNorm2d(epsilon: number) {
  return tf.customGrad((...args) => {
    const [x, scale, bias, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const centred = tf.sub(x, tf.mean(x, 1, true));
    const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), 1, true), epsilon));
    const xHat = tf.mul(centred, invStd);
    save([xHat, invStd, scale]);
    return {
      value: tf.add(tf.mul(xHat, scale), bias),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxHat, sInvStd, sScale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const g = tf.mul(dy, sScale);
        const dx = tf.mul(sInvStd, tf.sub(tf.sub(g, tf.mean(g, 1, true)), tf.mul(sxHat, tf.mean(tf.mul(g, sxHat), 1, true))));
        return [dx, columnSums(tf.mul(dy, sxHat)), columnSums(dy)];
      },
    };
  });
}

export const LayerNormalization: OpUnit = {
  opType: 'LayerNormalization',
  run(ctx) {
    if (ctx.node.outputs.slice(1).some((o) => o !== '')) throw ctx.error('the Mean and InvStdDev outputs are not supported');
    const x = ctx.input(0);
    const axis = normAxis(ctx, ctx.attrInt('axis', -1), x.rank);
    const size = product(x.shape.slice(axis));
    const scale = ctx.input(1);
    if (scale.size !== size) throw ctx.error(`scale has ${scale.size} values, the normalised shape [${x.shape.slice(axis)}] has ${size}`);
    const bias = ctx.optionalInput(2) ?? tf.zeros([size]);
    if (bias.size !== size) throw ctx.error(`bias has ${bias.size} values, the normalised shape has ${size}`);
    const y = layerNorm2d(ctx.attrFloat('epsilon', 1e-5))(tf.reshape(x, [-1, size]), tf.reshape(scale, [size]), tf.reshape(bias, [size]));
    return [tf.reshape(y, x.shape)];
  },
};
