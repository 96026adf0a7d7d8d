// The run configuration: one typed object in sections named after the stages, keys in
// snake_case after the notebook's names. The defaults are the run that answers the notebook's
// question (docs/training-settings.md); SPEC.md's notebook settings are --preset notebook.
// Every field carries a description of what it allows, used in error messages, `--help` and
// README.md.
import { z } from 'zod';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.number({ invalid_type_error: 'expected a number' }).int(`expected an integer`).min(min).max(max);
const positive = () => z.number({ invalid_type_error: 'expected a number' }).positive().finite();
const fraction = () => z.number({ invalid_type_error: 'expected a number' }).gt(0).lt(1);
const nonNegative = () => z.number({ invalid_type_error: 'expected a number' }).min(0).finite();

/** Each key: its schema, its default and a human description of the allowed values. */
function field<T extends z.ZodTypeAny>(schema: T, def: z.infer<T>, allowed: string) {
  return schema.default(def).describe(allowed);
}

export const GenerateConfig = z
  .object({
    seed: field(int(0, 2 ** 32 - 1), 0, 'integer in [0, 2^32-1]'),
    n_samples: field(int(2, 10_000_000), 2000, 'integer in [2, 10^7]'),
    seq_len: field(int(1, 512), 10, 'integer in [1, 512]'),
    train_frac: field(fraction(), 0.015, 'number strictly between 0 and 1'),
  })
  .strict();

const device = z.enum(['auto', 'cpu', 'cuda']);
const sampler = () => field(z.enum(['sgld', 'rmsprop_sgld']), 'sgld', 'one of sgld, rmsprop_sgld (devinterp SGMCMC.rmsprop_sgld: α 0.99, eps 0.1)');

export const TrainConfig = z
  .object({
    seeds: field(
      z
        .array(int(0, 2 ** 32 - 1))
        .min(1, 'needs at least one seed')
        .max(64, 'at most 64 seeds')
        .refine((a) => new Set(a).size === a.length, 'seeds must differ'),
      [0, 1, 2],
      'list of distinct integers in [0, 2^32-1], one training run each (initialisation, batches, dropout)',
    ),
    steps: field(int(1), 3000, 'integer ≥ 1'),
    batch_size: field(int(1), 30, 'integer ≥ 1, at most the number of training samples'),
    lr: field(positive(), 1e-3, 'number > 0'),
    beta1: field(z.number().min(0).lt(1), 0.9, 'number in [0, 1)'),
    beta2: field(z.number().min(0).lt(1), 0.999, 'number in [0, 1)'),
    adam_eps: field(positive(), 1e-8, 'number > 0'),
    weight_decay: field(nonNegative(), 1.0, 'number ≥ 0 (coupled L2 under optimizer adam, decoupled under adamw)'),
    optimizer: field(z.enum(['adam', 'adamw']), 'adamw', 'one of adam (torch.optim.Adam: weight_decay as coupled L2), adamw (torch.optim.AdamW: decoupled)'),
    init_gain: field(positive(), 8.0, 'number > 0 (xavier-normal gain of every matrix and embedding)'),
    eval_every: field(int(1), 50, 'integer ≥ 1'),
    checkpoint_every: field(int(1), 25, 'integer ≥ 1 (steps between checkpoints, or the first checkpoint with log_checkpoints)'),
    log_checkpoints: field(int(0, 100_000), 20, 'integer ≥ 0: that many checkpoints log-spaced from checkpoint_every to the last step (0: every checkpoint_every steps)'),
    d_model: field(int(1), 64, 'integer ≥ 1, divisible by n_heads'),
    n_heads: field(int(1), 4, 'integer ≥ 1'),
    d_ff: field(int(1), 48, 'integer ≥ 1'),
    n_layers: field(int(1, 64), 2, 'integer in [1, 64]'),
    dropout: field(z.number().min(0).lt(1), 0, 'number in [0, 1)'),
    engine: field(z.enum(['auto', 'tfjs', 'onnxruntime']), 'auto', 'one of auto, tfjs, onnxruntime'),
    backend: field(z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']), 'auto', 'one of auto, tensorflow-gpu, tensorflow, wasm, cpu (tfjs engine)'),
    device: field(device, 'auto', 'one of auto, cpu, cuda (onnxruntime engine)'),
    threads: field(int(1, 256), 1, 'integer in [1, 256] (onnxruntime intra-op threads)'),
  })
  .strict();

export const EstimateConfig = z
  .object({
    lr: field(z.union([positive(), z.literal('sweep')]), 'sweep', "number > 0 (SGLD step size ε), or 'sweep' for the sweep's recommended ε"),
    nbeta: field(z.union([positive(), z.literal('auto'), z.literal('sweep')]), 'sweep', "number > 0, 'auto' for m/ln(m) with m the batch size, or 'sweep' for the sweep's recommended nβ"),
    localization: field(nonNegative(), 1e4, 'number ≥ 0 (γ)'),
    weight_decay: field(nonNegative(), 0, 'number ≥ 0 (λ)'),
    noise_level: field(nonNegative(), 1, 'number ≥ 0 (σ)'),
    num_chains: field(int(1, 4096), 4, 'integer in [1, 4096]'),
    num_draws: field(int(1), 100, 'integer ≥ 1'),
    num_burnin_steps: field(int(0), 300, 'integer ≥ 0'),
    num_steps_bw_draws: field(int(1), 4, 'integer ≥ 1'),
    batch_size: field(int(1), 30, 'integer ≥ 1'),
    seed: field(int(0, 2 ** 32 - 1), 0, 'integer in [0, 2^32-1]'),
    sampler: sampler(),
    init_loss: field(
      z.enum(['full', 'batches']),
      'full',
      "one of full (the loss on all training rows at the checkpoint: no sampling error), batches (devinterp's: the mean of the first num_chains minibatch losses, at most one pass — its error moves every chain alike and no standard error over chains sees it)",
    ),
    params: field(z.array(z.string().min(1)), [], 'list of parameter globs to sample (empty: all)'),
    freeze: field(z.array(z.string().min(1)), [], 'list of parameter globs held at the checkpoint'),
    restrict: field(
      z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'group names use letters, digits, _ . -'), z.array(z.string().min(1)).min(1)),
      {},
      'object of group name → list of parameter globs, e.g. {"layer0": ["layers.0.*"]}',
    ),
    ordering_checkpoints: field(int(0, 1000), 6, 'integer ≥ 0: checkpoints sampled again at the sweep\'s neighbouring points to see whether their order survives (0: no check)'),
    device: field(device, 'auto', 'one of auto, cpu, cuda'),
  })
  .strict();

export const SweepConfig = z
  .object({
    min_epsilon: field(positive(), 1e-6, 'number > 0'),
    max_epsilon: field(positive(), 1e-5, 'number > 0, ≥ min_epsilon'),
    epsilon_samples: field(int(1, 100), 4, 'integer in [1, 100]'),
    beta_samples: field(int(1, 100), 3, 'integer in [1, 100]'),
    min_nbeta: field(z.union([positive(), z.literal('auto')]), 100, "number > 0, or 'auto' for 1e-2·m/ln m (the notebook's)"),
    max_nbeta: field(z.union([positive(), z.literal('auto')]), 1e4, "number > 0, or 'auto' for 1e3·m/ln m (the notebook's)"),
    localization: field(nonNegative(), 1e4, 'number ≥ 0'),
    num_chains: field(int(1, 1024), 4, 'integer in [1, 1024]'),
    num_draws: field(int(1), 100, 'integer ≥ 1'),
    num_burnin_steps: field(int(0), 300, 'integer ≥ 0 (steps discarded before the draws)'),
    num_steps_bw_draws: field(int(1), 4, 'integer ≥ 1 (steps per draw)'),
    sampler: sampler(),
    checkpoint: field(z.number().int(), -1, 'integer checkpoint index; negative counts from the end (-1 = last)'),
  })
  .strict();

export const CalibrationConfig = z
  .object({
    lr: field(positive(), 3e-6, 'number > 0'),
    nbeta: field(z.union([positive(), z.literal('auto')]), 1000, "number > 0, or 'auto'"),
    localization: field(nonNegative(), 1e4, 'number ≥ 0'),
    num_chains: field(int(1, 1024), 3, 'integer in [1, 1024]'),
    num_draws: field(int(1), 1000, 'integer ≥ 1'),
    sampler: sampler(),
    checkpoint: field(z.number().int(), -1, 'integer checkpoint index; negative counts from the end (-1 = last)'),
  })
  .strict();

export const ReportConfig = z
  .object({
    title: field(z.string().min(1).max(200), 'LLC over training', 'text of 1 to 200 characters'),
    sample_rows: field(int(1, 100), 5, 'integer in [1, 100]'),
  })
  .strict();

const ConfigObject = z
  .object({
    generate: GenerateConfig.default({}),
    train: TrainConfig.default({}),
    estimate: EstimateConfig.default({}),
    sweep: SweepConfig.default({}),
    calibration: CalibrationConfig.default({}),
    report: ReportConfig.default({}),
  })
  .strict();

/** Configs written before train.seeds held one train.seed: read it as a list of one. */
function readLegacyKeys(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const train = (raw as Record<string, unknown>).train;
  if (!train || typeof train !== 'object' || Array.isArray(train) || !('seed' in train) || 'seeds' in train) return raw;
  const { seed, ...rest } = train as Record<string, unknown>;
  return { ...raw, train: { ...rest, seeds: [seed] } };
}

export const ConfigSchema = z.preprocess(
  readLegacyKeys,
  ConfigObject.superRefine((c, ctx) => {
    if (c.train.d_model % c.train.n_heads !== 0) {
      ctx.addIssue({ code: 'custom', path: ['train', 'd_model'], message: `must be divisible by train.n_heads (${c.train.n_heads})` });
    }
    if (typeof c.sweep.min_nbeta === 'number' && typeof c.sweep.max_nbeta === 'number' && c.sweep.max_nbeta < c.sweep.min_nbeta) {
      ctx.addIssue({ code: 'custom', path: ['sweep', 'max_nbeta'], message: `must be ≥ sweep.min_nbeta (${c.sweep.min_nbeta})` });
    }
    if (c.sweep.max_epsilon < c.sweep.min_epsilon) {
      ctx.addIssue({ code: 'custom', path: ['sweep', 'max_epsilon'], message: `must be ≥ sweep.min_epsilon (${c.sweep.min_epsilon})` });
    }
    const nTrain = Math.floor(c.generate.train_frac * c.generate.n_samples);
    if (nTrain < 1) {
      ctx.addIssue({ code: 'custom', path: ['generate', 'train_frac'], message: `leaves no training sample out of generate.n_samples = ${c.generate.n_samples}` });
    } else if (c.train.batch_size > nTrain) {
      ctx.addIssue({ code: 'custom', path: ['train', 'batch_size'], message: `is larger than the ${nTrain} training samples (each batch holds distinct samples)` });
    }
  }),
);

export type Config = z.infer<typeof ConfigSchema>;
export type Section = keyof Config;
export const SECTIONS = Object.keys(ConfigObject.shape) as Section[];

/** The section's object schema (for listing keys and their allowed values). */
export function sectionSchema(section: Section): z.AnyZodObject {
  const wrapped = ConfigObject.shape[section] as z.ZodDefault<z.AnyZodObject>;
  return wrapped.removeDefault();
}

export const CONFIG_SCHEMA_ID = 'llc-pipeline/config';
export const CONFIG_SCHEMA_VERSION = 1;
