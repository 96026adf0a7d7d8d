// health.json, written by every sampling stage (estimate, sweep, calibration) beside its
// results: per estimate, the sampler diagnostics and the warnings derived from them.
import { z } from 'zod';

export const HEALTH_SCHEMA_ID = 'llc-pipeline/health';
export const HEALTH_SCHEMA_VERSION = 1;

export const EstimateHealth = z
  .object({
    /** What was estimated, e.g. "checkpoint step 5500" or "sweep ε=1e-3 nβ=46.2". */
    label: z.string(),
    chains: z.number().int().positive(),
    draws: z.number().int().positive(),
    /** Split-R̂ of the loss traces across chains (null with one chain and too few draws). */
    r_hat: z.number().nullable(),
    /** Effective sample size of the loss traces, all chains together. */
    ess: z.number().nullable(),
    /** Standard error of llc_mean: the std of the kept chains' λ̂ over √chains, or with one
     * chain the sd of its llc draws over √ess (absent in files from before it was computed). */
    llc_se: z.number().nullable().optional(),
    llc_mean: z.number().nullable(),
    negative_llc: z.boolean(),
    diverged_chains: z.number().int().min(0),
    /** Mean llc of the first and the last half of the draws, and whether they differ by more than the noise allows. */
    first_half_llc: z.number().nullable(),
    second_half_llc: z.number().nullable(),
    nonstationary: z.boolean(),
    /** √ε·σ (the per-step noise) divided by the RMS of the checkpoint's weights. */
    noise_to_weight_rms: z.number(),
    /** devinterp's MALA acceptance probability, mean over draws and kept chains (null for
     * rmsprop_sgld; absent in files from before it was measured). */
    mala_acceptance: z.number().nullable().optional(),
    /** Mean distance |w − w₀| of the kept chains at the last draw. */
    final_distance: z.number().nullable().optional(),
    /** How far a chain gets from w₀ where the loss is flat, √(d·σ²/(γ(1 − εγ/4))): the scale
     * final_distance is judged against (null when γ = 0 or εγ ≥ 4; absent in older files). */
    localization_radius: z.number().nullable().optional(),
    /** The largest mean loss over a chain's last half of draws, divided by init_loss (null
     * when init_loss ≤ 0; absent where init_loss was not given). */
    loss_to_init: z.number().nullable().optional(),
    warnings: z.array(z.string()),
  })
  .strict();
export type EstimateHealth = z.infer<typeof EstimateHealth>;

export const Health = z
  .object({
    schema: z.literal(HEALTH_SCHEMA_ID),
    schema_version: z.literal(HEALTH_SCHEMA_VERSION),
    estimates: z.array(EstimateHealth),
  })
  .strict();
export type Health = z.infer<typeof Health>;
