// The tfjs training engine: the seed model's train graph (dropout on) and eval graph
// (dropout off), both run by the tfjs interpreter over the same tf.Variables, and Adam.
import * as tf from '@tensorflow/tfjs-core';
import type { SplitTensors } from '../../schemas/dataset.ts';
import { buildSeedModel } from '../../pipeline/lib/model/seed-model.ts';
import { seedParameters } from '../../pipeline/lib/model/config.ts';
import { TfjsInterpreter } from '../../pipeline/lib/tfjs/interpreter.ts';
import { Adam } from './adam.ts';
import { batchIndices, gatherRows } from './batches.ts';
import type { AdamSnapshot, Evaluation, TrainEngine, TrainSetup } from './engine.ts';

interface SplitOnDevice {
  tokens: tf.Tensor2D;
  targets: tf.Tensor2D;
}

function mse(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.squaredDifference(pred, target));
}

function onDevice(split: SplitTensors): SplitOnDevice {
  return {
    tokens: tf.tensor2d(Int32Array.from(split.tokens, Number), [split.n, split.seqLen], 'int32'),
    targets: tf.tensor2d(split.targets, [split.n, split.seqLen]),
  };
}

export class TfjsEngine implements TrainEngine {
  private readonly trainGraph: TfjsInterpreter;
  private readonly evalGraph: TfjsInterpreter;
  private readonly vars: Record<string, tf.Variable>;
  private readonly adam: Adam;
  /** Variable name (tfjs' own, unique per process) → parameter name. */
  private readonly paramOf: Map<string, string>;
  private readonly trainTokens: Int32Array;
  private readonly splits: Record<'train' | 'test', SplitOnDevice>;

  /** `label`: the tfjs backend that runs, already started (tfjs/backend.ts). */
  constructor(private readonly setup: TrainSetup, readonly label: string) {
    const { cfg, state } = setup;
    this.trainGraph = new TfjsInterpreter(buildSeedModel(cfg, { training: true }));
    this.evalGraph = new TfjsInterpreter(buildSeedModel(cfg, { training: false }));
    this.vars = Object.fromEntries(
      seedParameters(cfg).map((p) => {
        const data = state.weights[p.name];
        if (!data) throw new Error(`trainer: no initial value for parameter "${p.name}"`);
        return [p.name, tf.variable(tf.tensor(data, p.shape, 'float32'))];
      }),
    );
    this.paramOf = new Map(Object.entries(this.vars).map(([n, v]) => [v.name, n]));
    this.adam = new Adam(setup.adam, this.vars, state.adam);
    this.trainTokens = Int32Array.from(setup.train.tokens, Number);
    this.splits = { train: onDevice(setup.train), test: onDevice(setup.test) };
  }

  get step(): number {
    return this.adam.state.step;
  }

  async train(count: number): Promise<Float32Array> {
    const { seed, batchSize, train } = this.setup;
    const losses = new Float32Array(count);
    for (let k = 0; k < count; k++) {
      const step = this.step + 1;
      const idx = batchIndices(seed, step, train.n, batchSize);
      losses[k] = tf.tidy(() => {
        const tokens = tf.tensor2d(gatherRows(this.trainTokens, train.seqLen, idx), [batchSize, train.seqLen], 'int32');
        const targets = tf.tensor2d(gatherRows(train.targets, train.seqLen, idx), [batchSize, train.seqLen]);
        // Dropout masks: one stream per step, so any step replays from (seed, step).
        return this.trainStep(tokens, targets, seed * 2 ** 20 + step);
      });
    }
    return losses;
  }

  /** One Adam step on a minibatch; dropout masks come from `maskSeed`. Returns the batch loss. */
  private trainStep(tokens: tf.Tensor, targets: tf.Tensor, maskSeed: number): number {
    const { value, grads } = tf.variableGrads(() => {
      const { pred } = this.trainGraph.run({ tokens }, this.vars, { seed: maskSeed });
      return mse(pred!, targets);
    }, Object.values(this.vars));
    const byParam = Object.fromEntries(Object.entries(grads).map(([varName, g]) => [this.paramOf.get(varName)!, g]));
    this.adam.apply(this.vars, byParam);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  }

  async evaluate(split: 'train' | 'test'): Promise<Evaluation> {
    const { tokens, targets } = this.splits[split];
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

  optimizerState(): AdamSnapshot {
    return this.adam.snapshot();
  }

  liveTensors(): number {
    return tf.memory().numTensors;
  }

  async dispose(): Promise<void> {
    this.trainGraph.dispose();
    this.evalGraph.dispose();
    this.adam.dispose();
    tf.dispose([...Object.values(this.vars), ...Object.values(this.splits).flatMap((s) => [s.tokens, s.targets])]);
  }
}
