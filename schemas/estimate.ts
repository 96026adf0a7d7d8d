// The estimate stage's artifacts: estimates.json (λ̂ per checkpoint of every training seed,
// and per restricted group, schema below) and per checkpoint
// seed-<s>/traces/step-NNNNNN[-group].safetensors holding `loss` and `llc` [chains, draws] and
// `llc_mean`, `llc_std` [draws] (over the chains that did not diverge).
//
// Version 2: checkpoints of several training seeds (each entry names its seed), and the ε and
// nβ the chains ran with (from the config, or the sweep's recommended point).
import { z } from 'zod';

export const ESTIMATES_SCHEMA_ID = 'llc-pipeline/llc-estimates';
export const ESTIMATES_SCHEMA_VERSION = 2;

/** A chain whose loss turned NaN or infinite: left out of every mean and std. */
export const Divergence = z
  .object({
    chain: z.number().int().min(0),
    /** SGLD step (0-based, burn-in included) of the first non-finite loss. */
    step: z.number().int().min(0),
    /** The draw that step would have been; null during burn-in or between draws. */
    draw: z.number().int().min(0).nullable(),
  })
  .strict();

export const CheckpointEstimate = z
  .object({
    /** The training seed of the checkpoint's run. */
    seed: z.number().int().min(0),
    /** Training step of the checkpoint. */
    step: z.number().int().min(0),
    /** The export stage's model file it sampled. */
    model: z.string(),
    /** Over chains that did not diverge; null when none is left (std: fewer than two). */
    llc_mean: z.number().nullable(),
    llc_std: z.number().nullable(),
    /** null for a diverged chain. */
    llc_per_chain: z.array(z.number().nullable()),
    init_loss: z.number(),
    nbeta: z.number(),
    diverged: z.array(Divergence),
    /** This checkpoint's trace file, relative to the stage folder. */
    trace: z.string(),
  })
  .strict();

/** λ̂ restricted to one group of parameters (the rest held at the checkpoint), per checkpoint. */
export const RestrictedEstimates = z
  .object({
    group: z.string(),
    /** The parameters the group samples, and their element count. */
    params: z.array(z.string()),
    weight_count: z.number().int().positive(),
    checkpoints: z.array(CheckpointEstimate),
  })
  .strict();

/** Whether the ordering of checkpoints survives a change of calibration (stages/estimate/ordering.ts). */
export const Ordering = z
  .object({
    /** The training seed and the steps of the checkpoints sampled again. */
    seed: z.number().int().min(0),
    steps: z.array(z.number().int().min(0)),
    /** Per neighbouring sweep point: λ̂ at each checkpoint, Spearman ρ with the main estimate's, its 95% interval. */
    points: z.array(
      z
        .object({
          epsilon: z.number().positive(),
          nbeta: z.number().positive(),
          llc: z.array(z.number().nullable()),
          rho: z.number().nullable(),
          interval: z.tuple([z.number(), z.number()]).nullable(),
        })
        .strict(),
    ),
  })
  .strict();
export type Ordering = z.infer<typeof Ordering>;

export const Estimates = z
  .object({
    schema: z.literal(ESTIMATES_SCHEMA_ID),
    schema_version: z.literal(ESTIMATES_SCHEMA_VERSION),
    /** The estimate config used (nbeta resolved per checkpoint below). */
    settings: z.record(z.unknown()),
    /** The step size and inverse temperature every chain ran with, and where they came from:
     * the config, or the sweep's recommended point (estimate.lr / estimate.nbeta = sweep). */
    sampler_point: z
      .object({
        lr: z.number().positive(),
        nbeta: z.number().positive(),
        source: z.string(),
      })
      .strict(),
    /** Where the chains ran: results differ by device (CUDA draws its noise differently). */
    device: z.enum(['cpu', 'cuda']),
    /** The parameters every chain sampled, where estimate.params / estimate.freeze chose them. */
    sampled: z.object({ params: z.array(z.string()), weight_count: z.number().int().positive() }).strict().optional(),
    checkpoints: z.array(CheckpointEstimate),
    /** estimate.restrict's groups (absent in files written before it existed). */
    restricted: z.array(RestrictedEstimates).optional(),
    /** The ordering check, where ε and nβ came from the sweep and it has usable neighbours. */
    ordering: Ordering.nullable(),
  })
  .strict();
export type RestrictedEstimates = z.infer<typeof RestrictedEstimates>;
export type Estimates = z.infer<typeof Estimates>;
export type CheckpointEstimate = z.infer<typeof CheckpointEstimate>;
