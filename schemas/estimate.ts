// The estimate stage's artifacts: estimates.json (λ̂ per checkpoint, and per restricted
// group, schema below) and per checkpoint traces/step-NNNNNN[-group].safetensors holding `loss` and `llc` [chains, draws] and
// `llc_mean`, `llc_std` [draws] (over the chains that did not diverge).
import { z } from 'zod';

export const ESTIMATES_SCHEMA_ID = 'llc-pipeline/llc-estimates';
export const ESTIMATES_SCHEMA_VERSION = 1;

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

export const Estimates = z
  .object({
    schema: z.literal(ESTIMATES_SCHEMA_ID),
    schema_version: z.literal(ESTIMATES_SCHEMA_VERSION),
    /** The estimate config used (nbeta resolved per checkpoint below). */
    settings: z.record(z.unknown()),
    /** Where the chains ran: results differ by device (CUDA draws its noise differently). */
    device: z.enum(['cpu', 'cuda']),
    /** The parameters every chain sampled, where estimate.params / estimate.freeze chose them. */
    sampled: z.object({ params: z.array(z.string()), weight_count: z.number().int().positive() }).strict().optional(),
    checkpoints: z.array(CheckpointEstimate),
    /** estimate.restrict's groups (absent in files written before it existed). */
    restricted: z.array(RestrictedEstimates).optional(),
  })
  .strict();
export type RestrictedEstimates = z.infer<typeof RestrictedEstimates>;
export type Estimates = z.infer<typeof Estimates>;
export type CheckpointEstimate = z.infer<typeof CheckpointEstimate>;
