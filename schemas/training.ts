// The train stage's artifacts: model.json (the model's hyper-parameters, SeedModelConfig) and,
// per training seed s of train.seeds, under seed-<s>/:
//   checkpoints/step-NNNNNN.safetensors  all weights, PyTorch state_dict names
//   metrics.json / metrics.csv        MSE and MAE on the full train and test sets per eval
//   optimizer.safetensors             Adam moments at the last step (resume / continue)
import { z } from 'zod';

export const ModelConfigFile = z
  .object({
    schema: z.literal('llc-pipeline/model-config'),
    schema_version: z.literal(1),
    vocab: z.number().int().positive(),
    seqLen: z.number().int().positive(),
    dModel: z.number().int().positive(),
    heads: z.number().int().positive(),
    dFF: z.number().int().positive(),
    layers: z.number().int().positive(),
    dropout: z.number().min(0).lt(1),
    layerNormEps: z.number().positive(),
  })
  .strict();
export type ModelConfigFile = z.infer<typeof ModelConfigFile>;

export const MetricsRow = z
  .object({
    step: z.number().int().positive(),
    /** Mean of the training minibatch losses (dropout on) since the previous row. */
    batch_loss: z.number(),
    train_mse: z.number(),
    train_mae: z.number(),
    test_mse: z.number(),
    test_mae: z.number(),
    elapsed_s: z.number(),
  })
  .strict();
export type MetricsRow = z.infer<typeof MetricsRow>;

export const Metrics = z
  .object({
    schema: z.literal('llc-pipeline/training-metrics'),
    schema_version: z.literal(2),
    /** The training seed (train.seeds) these rows belong to. */
    seed: z.number().int().min(0),
    backend: z.string(),
    rows: z.array(MetricsRow),
  })
  .strict();
export type Metrics = z.infer<typeof Metrics>;

/** The folder of one training seed's artifacts, in train and in every stage after it. */
export const seedDir = (seed: number) => `seed-${seed}`;

export const checkpointName = (seed: number, step: number) => `${seedDir(seed)}/checkpoints/step-${String(step).padStart(6, '0')}.safetensors`;
/** Groups: the seed, the step. */
export const CHECKPOINT_PATTERN = /^seed-(\d+)\/checkpoints\/step-(\d{6,})\.safetensors$/;
export const metricsName = (seed: number, ext: 'json' | 'csv') => `${seedDir(seed)}/metrics.${ext}`;
export const optimizerName = (seed: number) => `${seedDir(seed)}/optimizer.safetensors`;

/** The export stage's model of a checkpoint. */
export const modelName = (seed: number, step: number) => `${seedDir(seed)}/models/step-${String(step).padStart(6, '0')}.onnx`;
/** Groups: the seed, the step. */
export const MODEL_PATTERN = /^seed-(\d+)\/models\/step-(\d{6,})\.onnx$/;

/** The steps at which training writes a checkpoint: every `every` steps or, with `log` > 0,
 * `log` steps log-spaced from `every` to the last step (rounded, repeats dropped), dense where
 * training changes fastest. */
export function checkpointSteps(steps: number, every: number, log = 0): number[] {
  if (log <= 0) return multiples(steps, every);
  if (every >= steps || log === 1) return [steps];
  const out = Array.from({ length: log }, (_, k) => Math.round(every * (steps / every) ** (k / (log - 1))));
  return [...new Set(out)];
}

/** The steps at which training evaluates: every eval_every steps, and at every checkpoint
 * (so that each checkpoint's λ̂ has its train and test error beside it). */
export function evaluationSteps(steps: number, evalEvery: number, checkpoints: readonly number[]): number[] {
  return [...new Set([...multiples(steps, evalEvery), ...checkpoints])].sort((a, b) => a - b);
}

function multiples(steps: number, every: number): number[] {
  return Array.from({ length: Math.floor(steps / every) }, (_, i) => (i + 1) * every);
}
