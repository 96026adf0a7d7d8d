// The sweep stage's artifacts (SPEC.md §5): sweep.json (below) and per grid point
// traces/eps-<i>-nbeta-<j>.safetensors holding `loss` and `llc` [chains, draws] and
// `llc_mean`, `llc_std` [draws] over the chains that did not diverge.
//
// Version 2: a point's λ̂ is the estimator's (mean over chains of nβ·(mean draw loss −
// init_loss), as estimates.json and health.json give it), with its standard error, and the
// sweep recommends a point by a stated rule. Version 1's llc_final (the mean of the last 50
// draws only) is not read: it disagreed with the λ̂ of health.json; rerun the sweep.
// Version 3: the swept checkpoint's training seed, and a rule that cannot pick escaped
// chains (stages/sweep/recommend.ts): each point's `escaped` verdict.
import { z } from 'zod';
import { Divergence } from './estimate.ts';

export const SWEEP_SCHEMA_ID = 'llc-pipeline/sweep';
export const SWEEP_SCHEMA_VERSION = 3;

export const SweepPoint = z
  .object({
    /** Index into `epsilons` and `nbetas`. */
    i: z.number().int().min(0),
    j: z.number().int().min(0),
    epsilon: z.number().positive(),
    nbeta: z.number().positive(),
    /** λ̂: the mean over non-diverged chains of nβ·(mean draw loss − init_loss); null if none is left. */
    llc_mean: z.number().nullable(),
    /** Sample std of the chains' λ̂ (null with fewer than two chains left). */
    llc_std: z.number().nullable(),
    /** Standard error of llc_mean (health.json's llc_se: std/√chains, or with one chain sd of its draws/√ESS). */
    llc_se: z.number().nullable(),
    /** null for a diverged chain. */
    llc_per_chain: z.array(z.number().nullable()),
    /** llc_mean / nbeta: the "divide out β" view. */
    llc_over_nbeta: z.number().nullable(),
    init_loss: z.number(),
    diverged: z.array(Divergence),
    /** Why the point's chains fail the recommendation's health test; empty when they pass. */
    problems: z.array(z.string()),
    /** Why its chains count as having escaped the basin of w₀ (recommend.ts), or null. */
    escaped: z.string().nullable(),
    /** Whether its λ̂ agrees with that of the next smaller ε at the same nβ (both healthy);
     * null where that comparison cannot be made. */
    plateau: z.boolean().nullable(),
    trace: z.string(),
  })
  .strict();
export type SweepPoint = z.infer<typeof SweepPoint>;

export const SweepRecommendation = z
  .object({
    /** The rule, in words, with its thresholds. */
    rule: z.string(),
    /** The recommended grid point, or null when none qualifies. */
    point: z.object({ i: z.number().int().min(0), j: z.number().int().min(0) }).strict().nullable(),
    /** Which point the rule picks and why, or why none qualifies. */
    verdict: z.string(),
  })
  .strict();
export type SweepRecommendation = z.infer<typeof SweepRecommendation>;

export const Sweep = z
  .object({
    schema: z.literal(SWEEP_SCHEMA_ID),
    schema_version: z.literal(SWEEP_SCHEMA_VERSION),
    /** Training seed and step of the swept checkpoint and its model file in the export stage. */
    checkpoint_seed: z.number().int().min(0),
    checkpoint_step: z.number().int().min(0),
    model: z.string(),
    /** nβ₀ = m / ln m, the centre of the nβ grid. */
    nbeta0: z.number().positive(),
    epsilons: z.array(z.number().positive()),
    nbetas: z.array(z.number().positive()),
    localization: z.number(),
    /** The loss of the best constant prediction on the sampled data: where escaped chains sit. */
    trivial_loss: z.number(),
    num_chains: z.number().int().positive(),
    num_draws: z.number().int().positive(),
    device: z.enum(['cpu', 'cuda']),
    points: z.array(SweepPoint),
    recommendation: SweepRecommendation,
  })
  .strict();
export type Sweep = z.infer<typeof Sweep>;
