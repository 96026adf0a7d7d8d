// The cases on which `pipeline llc` is compared with devinterp 1.3.2 in distribution
// (bench/devinterp-compare.ts makes devinterp's runs; test/slow/devinterp-agreement.test.ts holds
// ours to them), and the file of devinterp's runs, test/fixtures/devinterp-pooled.json.
import { join } from 'node:path';
import { z } from 'zod';

export interface DevinterpCase {
  /** family/setting */
  name: string;
  /** `seed` (test/fixtures/seed-step5500) or a folder of test/fixtures/torch-exports. */
  family: string;
  settings: {
    lr: number;
    nbeta: number | 'auto';
    localization: number;
    batch_size: number;
    num_chains: number;
    num_draws: number;
    num_burnin_steps: number;
    num_steps_bw_draws: number;
    loss: 'mse' | 'ce';
  };
}

const common = { num_chains: 8, num_draws: 200, num_steps_bw_draws: 1, loss: 'mse' } as const;

/** Batch sizes that divide the rows: then init_loss on both sides (num_chains ≥ batches per
 * pass) is the loss on all rows, and a difference can only come from the sampling. */
export const DEVINTERP_CASES: readonly DevinterpCase[] = [
  { name: 'gelu-mlp/b64', family: 'gelu-mlp', settings: { ...common, lr: 1e-3, nbeta: 'auto', localization: 10, batch_size: 64, num_burnin_steps: 100 } },
  { name: 'gelu-mlp/b256', family: 'gelu-mlp', settings: { ...common, lr: 2e-3, nbeta: 'auto', localization: 10, batch_size: 256, num_burnin_steps: 200 } },
  { name: 'leaky-silu-mlp/b64', family: 'leaky-silu-mlp', settings: { ...common, lr: 2e-3, nbeta: 'auto', localization: 10, batch_size: 64, num_burnin_steps: 100 } },
  { name: 'conv1d-gap/b64', family: 'conv1d-gap', settings: { ...common, lr: 1e-3, nbeta: 'auto', localization: 10, batch_size: 64, num_burnin_steps: 100 } },
  { name: 'gelu-transformer/b64', family: 'gelu-transformer', settings: { ...common, lr: 1e-3, nbeta: 'auto', localization: 10, batch_size: 64, num_burnin_steps: 100 } },
  { name: 'seed/b200', family: 'seed', settings: { ...common, lr: 1e-3, nbeta: 2, localization: 5, batch_size: 200, num_burnin_steps: 0 } },
  { name: 'seed/b200-auto', family: 'seed', settings: { ...common, lr: 1e-4, nbeta: 'auto', localization: 5, batch_size: 200, num_burnin_steps: 0 } },
];

/** `pipeline llc` flags of a case (without --seed and --out); paths under the repository `root`. */
export function caseArgs(c: DevinterpCase, root: string): string[] {
  const s = c.settings;
  const files =
    c.family === 'seed'
      ? ['--model', join(root, 'test/fixtures/seed-step5500/model.onnx'), '--data', join(root, 'test/fixtures/seed-step5500/train.safetensors'), '--input', 'tokens', '--output', 'pred']
      : ['--model', join(root, 'test/fixtures/torch-exports', c.family, 'model.onnx'), '--data', join(root, 'test/fixtures/torch-exports', c.family, 'data.safetensors')];
  return [
    ...files,
    ...['--loss', s.loss, '--lr', String(s.lr), '--nbeta', String(s.nbeta), '--localization', String(s.localization), '--batch-size', String(s.batch_size)],
    ...['--chains', String(s.num_chains), '--draws', String(s.num_draws), '--burnin', String(s.num_burnin_steps), '--thin', String(s.num_steps_bw_draws), '--device', 'cpu'],
  ];
}

const Run = z.object({
  seed: z.number().int(),
  init_loss: z.number(),
  /** The loss on all rows at the model's weights. */
  full_loss: z.number(),
  llc_per_chain: z.array(z.number()),
});
export type DevinterpRun = z.infer<typeof Run>;

export const DevinterpPooled = z.object({
  devinterp: z.string(),
  cases: z.array(z.object({ name: z.string(), runs: z.array(Run) })),
});
export type DevinterpPooled = z.infer<typeof DevinterpPooled>;
