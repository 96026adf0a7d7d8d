import * as tf from '@tensorflow/tfjs-core';
import type { OpUnit } from '../op.ts';

export const Relu: OpUnit = { opType: 'Relu', run: (ctx) => [tf.relu(ctx.input(0))] };
