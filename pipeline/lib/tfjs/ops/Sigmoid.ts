import * as tf from '@tensorflow/tfjs-core';
import type { OpUnit } from '../op.ts';

export const Sigmoid: OpUnit = { opType: 'Sigmoid', run: (ctx) => [tf.sigmoid(ctx.input(0))] };
