// One training setup: the seed model's train graph (dropout on) and eval graph (dropout
// off), both run by the tfjs interpreter over the same tf.Variables, and Adam.
import * as tf from '@tensorflow/tfjs-core';
import { buildSeedModel } from '../model/seed-model.ts';
import { seedParameters, type SeedModelConfig } from '../model/config.ts';
import { TfjsInterpreter } from '../tfjs/interpreter.ts';
import { Adam, type AdamOptions } from './adam.ts';

export interface TrainerState {
  weights: Record<string, Float32Array>;
  adam?: ReturnType<Adam['snapshot']>;
}

function mse(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.squaredDifference(pred, target));
}

export class Trainer {
  private readonly trainGraph: TfjsInterpreter;
  private readonly evalGraph: TfjsInterpreter;
  private readonly vars: Record<string, tf.Variable>;
  private readonly adam: Adam;
  /** Variable name (tfjs' own, unique per process) → parameter name. */
  private readonly paramOf: Map<string, string>;

  constructor(readonly cfg: SeedModelConfig, adam: AdamOptions, state: TrainerState) {
    const names = seedParameters(cfg).map((p) => p.name);
    this.trainGraph = new TfjsInterpreter(buildSeedModel(cfg, { training: true }));
    this.evalGraph = new TfjsInterpreter(buildSeedModel(cfg, { training: false }));
    this.vars = Object.fromEntries(
      seedParameters(cfg).map((p) => {
        const data = state.weights[p.name];
        if (!data) throw new Error(`trainer: no initial value for parameter "${p.name}"`);
        return [p.name, tf.variable(tf.tensor(data, p.shape, 'float32'))];
      }),
    );
    this.paramOf = new Map(names.map((n) => [this.vars[n]!.name, n]));
    this.adam = new Adam(adam, this.vars, state.adam);
  }

  get step(): number {
    return this.adam.state.step;
  }

  /** One Adam step on a minibatch; dropout masks come from `seed`. Returns the batch loss. */
  trainStep(tokens: tf.Tensor, targets: tf.Tensor, seed: number): number {
    const { value, grads } = tf.variableGrads(() => {
      const { pred } = this.trainGraph.run({ tokens }, this.vars, { seed });
      return mse(pred!, targets);
    }, Object.values(this.vars));
    const byParam = Object.fromEntries(Object.entries(grads).map(([varName, g]) => [this.paramOf.get(varName)!, g]));
    this.adam.apply(this.vars, byParam);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  }

  /** MSE and MAE of the eval-mode network (no dropout). */
  evaluate(tokens: tf.Tensor, targets: tf.Tensor): { mse: number; mae: number } {
    const [m, a] = tf.tidy(() => {
      const { pred } = this.evalGraph.run({ tokens }, this.vars);
      return [mse(pred!, targets), tf.mean(tf.abs(tf.sub(pred!, targets)))];
    });
    const out = { mse: m!.dataSync()[0]!, mae: a!.dataSync()[0]! };
    tf.dispose([m!, a!]);
    return out;
  }

  weights(): Record<string, Float32Array> {
    return Object.fromEntries(Object.entries(this.vars).map(([n, v]) => [n, v.dataSync() as Float32Array]));
  }

  optimizerState(): ReturnType<Adam['snapshot']> {
    return this.adam.snapshot();
  }

  dispose(): void {
    this.trainGraph.dispose();
    this.evalGraph.dispose();
    this.adam.dispose();
    tf.dispose(Object.values(this.vars));
  }
}
