// The generate stage's artifacts: train.safetensors and test.safetensors hold `tokens`
// (I64 [n, seq_len]) and `targets` (F32 [n, seq_len]); summary.json describes them.
import { z } from 'zod';
import { requireTensor, type SafeTensors } from '../pipeline/lib/util/safetensors.ts';

export const DatasetSummary = z
  .object({
    schema: z.literal('llc-pipeline/dataset-summary'),
    schema_version: z.literal(1),
    seed: z.number().int(),
    prng: z.string(),
    vocab: z.string(),
    seq_len: z.number().int().positive(),
    n_train: z.number().int().positive(),
    n_test: z.number().int().min(0),
    mean_num_x: z.number(),
    first_sequences: z.array(z.object({ split: z.enum(['train', 'test']), letters: z.string(), targets: z.array(z.number()) }).strict()),
  })
  .strict();
export type DatasetSummary = z.infer<typeof DatasetSummary>;

export interface SplitTensors {
  tokens: BigInt64Array;
  targets: Float32Array;
  n: number;
  seqLen: number;
}

/** Checks a dataset split read from `source` and returns its tensors. */
export function splitFromTensors(tensors: SafeTensors, source: string): SplitTensors {
  const tokens = requireTensor(tensors, 'tokens', source, 'I64');
  const targets = requireTensor(tensors, 'targets', source, 'F32');
  const [n, seqLen] = tokens.shape;
  if (tokens.shape.length !== 2 || n === undefined || seqLen === undefined) throw new Error(`${source}: tokens must be 2-D [n, seq_len], got [${tokens.shape}]`);
  if (targets.shape.join() !== tokens.shape.join()) throw new Error(`${source}: targets shape [${targets.shape}] differs from tokens shape [${tokens.shape}]`);
  return { tokens: tokens.data as BigInt64Array, targets: targets.data as Float32Array, n, seqLen };
}
