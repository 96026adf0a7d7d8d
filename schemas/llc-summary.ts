// `pipeline llc --out summary.json`: λ̂ of a user's ONNX model. The trace file beside it
// holds `loss` and `llc` [chains, draws] and `llc_mean`, `llc_std` [draws]. (With
// `--format devinterp` the file holds devinterp's result keys instead: pipeline/lib/sgld/devinterp.ts.)
// Version 3 adds the cross-entropy loss, llc_se, the health record and the data notes.
import { z } from 'zod';
import { Divergence } from './estimate.ts';
import { EstimateHealth } from './health.ts';

export const LLC_SUMMARY_SCHEMA_ID = 'llc-pipeline/llc-summary';
export const LLC_SUMMARY_SCHEMA_VERSION = 4;

export const LlcSummary = z
  .object({
    schema: z.literal(LLC_SUMMARY_SCHEMA_ID),
    schema_version: z.literal(LLC_SUMMARY_SCHEMA_VERSION),
    model: z.string(),
    data: z.string(),
    input: z.string(),
    output: z.string(),
    /** mse, or ce: cross-entropy over the output's last axis with y class indices. */
    loss: z.enum(['mse', 'ce']),
    /** The logits' last axis (ce); null for mse. */
    classes: z.number().int().min(2).nullable(),
    /** Conversions made to the data (float64 → float32, y reshaped), one sentence each. */
    data_notes: z.array(z.string()),
    sampler: z.enum(['sgld', 'rmsprop_sgld']),
    /** The sampled initializers and their total element count. */
    weights: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(0)) }).strict()),
    weight_count: z.number().int().positive(),
    /** Initializers kept constant, and why. */
    constants: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), why: z.string() }).strict()),
    /** Over chains that did not diverge; null when none is left (std: fewer than two). */
    llc_mean: z.number().nullable(),
    llc_std: z.number().nullable(),
    llc_per_chain: z.array(z.number().nullable()),
    /** Standard error of llc_mean: std over chains/√chains, one chain: sd of its draws/√ESS. */
    llc_se: z.number().nullable(),
    init_loss: z.number(),
    /** full: the loss on all rows; batches: devinterp's, the first minibatches (v4). */
    init_loss_from: z.enum(['full', 'batches']),
    nbeta: z.number(),
    num_chains: z.number().int().positive(),
    num_draws: z.number().int().positive(),
    num_burnin_steps: z.number().int().min(0),
    num_steps_bw_draws: z.number().int().positive(),
    lr: z.number(),
    localization: z.number(),
    weight_decay: z.number(),
    noise_level: z.number(),
    batch_size: z.number().int().positive(),
    seed: z.number().int(),
    diverged: z.array(Divergence),
    /** devinterp's MALA acceptance probability, mean over draws and chains (null for rmsprop_sgld). */
    mala_acceptance: z.number().nullable(),
    /** The sampler health warnings, as the sampling stages give them and as printed. */
    health_warnings: z.array(z.string()),
    /** The whole health record, as health.json holds one per estimate: split-R̂, ESS,
     * llc_se, first and second half llc and whether they differ (stationarity), negative λ̂,
     * diverged chains, loss_to_init (loss explosion), noise against the weights, MALA. */
    health: EstimateHealth,
    /** The trace file, relative to this summary's folder. */
    trace: z.string(),
    device: z.enum(['cpu', 'cuda']),
    onnxruntime: z.string(),
    seconds: z.number(),
    chain_steps_per_s: z.number(),
  })
  .strict();
export type LlcSummary = z.infer<typeof LlcSummary>;
