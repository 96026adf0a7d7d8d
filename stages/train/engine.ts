// What a training engine does, whichever runtime does it: Adam steps on the seed model from
// a start state, evaluation, and the state to checkpoint. Two engines implement it — tfjs
// (tfjs-engine.ts) and onnxruntime (ort-engine.ts) — over the same ONNX graph, the same
// minibatches (batches.ts) and the same Adam, so they agree step for step with dropout off.
import type { SplitTensors } from '../../schemas/dataset.ts';
import type { SeedModelConfig } from '../../pipeline/lib/model/config.ts';
import type { AdamOptions } from './adam.ts';

export interface AdamSnapshot {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export interface TrainerState {
  weights: Record<string, Float32Array>;
  adam?: AdamSnapshot;
}

export interface TrainSetup {
  cfg: SeedModelConfig;
  adam: AdamOptions;
  /** train.seed: the minibatch of step s and its dropout masks are functions of (seed, s). */
  seed: number;
  batchSize: number;
  train: SplitTensors;
  test: SplitTensors;
  state: TrainerState;
}

export interface Evaluation {
  mse: number;
  mae: number;
}

export interface TrainEngine {
  /** What trained, for metrics.json and the log: a tfjs backend or `onnxruntime-<device>`. */
  readonly label: string;
  /** Steps done so far (Adam's t). */
  readonly step: number;
  /** Runs the next `count` steps; returns each step's minibatch loss (before its update). */
  train(count: number): Promise<Float32Array>;
  /** MSE and MAE of the eval-mode network on a whole split. */
  evaluate(split: 'train' | 'test'): Promise<Evaluation>;
  weights(): Record<string, Float32Array>;
  optimizerState(): AdamSnapshot;
  dispose(): Promise<void>;
  /** Tensors the engine's runtime holds now, where it counts them (tfjs), to catch leaks. */
  liveTensors?(): number;
}
