// The train stage's artifacts:
//   model.json                        the model's hyper-parameters (SeedModelConfig)
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
    schema_version: z.literal(1),
    backend: z.string(),
    rows: z.array(MetricsRow),
  })
  .strict();
export type Metrics = z.infer<typeof Metrics>;

export const checkpointName = (step: number) => `checkpoints/step-${String(step).padStart(6, '0')}.safetensors`;
export const CHECKPOINT_PATTERN = /^checkpoints\/step-(\d{6,})\.safetensors$/;

/** The steps at which training writes a checkpoint. */
export function checkpointSteps(steps: number, every: number): number[] {
  return Array.from({ length: Math.floor(steps / every) }, (_, i) => (i + 1) * every);
}
