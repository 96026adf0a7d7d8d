// The sweep stage's artifacts (SPEC.md §5): sweep.json (below) and per grid point
// traces/eps-<i>-nbeta-<j>.safetensors holding `loss` and `llc` [chains, draws] and
// `llc_mean`, `llc_std` [draws] over the chains that did not diverge.
import { z } from 'zod';
import { Divergence } from './estimate.ts';

export const SWEEP_SCHEMA_ID = 'llc-pipeline/sweep';
export const SWEEP_SCHEMA_VERSION = 1;

export const SweepPoint = z
  .object({
    /** Index into `epsilons` and `nbetas`. */
    i: z.number().int().min(0),
    j: z.number().int().min(0),
    epsilon: z.number().positive(),
    nbeta: z.number().positive(),
    /** Mean of the llc trace over the last `window` draws of all non-diverged chains; null if none is left. */
    llc_final: z.number().nullable(),
    /** Std over the same draws divided by their mean. */
    std_over_mean: z.number().nullable(),
    /** llc_final / nbeta: the "divide out β" view. */
    llc_over_nbeta: z.number().nullable(),
    init_loss: z.number(),
    diverged: z.array(Divergence),
    trace: z.string(),
  })
  .strict();
export type SweepPoint = z.infer<typeof SweepPoint>;

export const Sweep = z
  .object({
    schema: z.literal(SWEEP_SCHEMA_ID),
    schema_version: z.literal(SWEEP_SCHEMA_VERSION),
    /** Training step of the swept checkpoint and its model file in the export stage. */
    checkpoint_step: z.number().int().min(0),
    model: z.string(),
    /** nβ₀ = m / ln m, the centre of the nβ grid. */
    nbeta0: z.number().positive(),
    epsilons: z.array(z.number().positive()),
    nbetas: z.array(z.number().positive()),
    localization: z.number(),
    num_chains: z.number().int().positive(),
    num_draws: z.number().int().positive(),
    /** Draws averaged for llc_final (50, or num_draws when fewer). */
    window: z.number().int().positive(),
    device: z.enum(['cpu', 'cuda']),
    points: z.array(SweepPoint),
  })
  .strict();
export type Sweep = z.infer<typeof Sweep>;
