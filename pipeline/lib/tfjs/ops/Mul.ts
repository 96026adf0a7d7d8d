import * as tf from '@tensorflow/tfjs-core';
import type { OpUnit } from '../op.ts';

export const Mul: OpUnit = { opType: 'Mul', run: (ctx) => [tf.mul(ctx.input(0), ctx.input(1))] };
