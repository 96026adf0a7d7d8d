// The calibration stage's artifacts (SPEC.md §4, the notebook's long trace on one
// checkpoint): calibration.json (below) and trace.safetensors holding `loss` and `llc`
// [chains, draws] and `llc_mean`, `llc_std` [draws] over the chains that did not diverge.
import { z } from 'zod';
import { Divergence } from './estimate.ts';

export const CALIBRATION_SCHEMA_ID = 'llc-pipeline/calibration';
/** Version 2: the checkpoint's training seed. */
export const CALIBRATION_SCHEMA_VERSION = 2;

export const Calibration = z
  .object({
    schema: z.literal(CALIBRATION_SCHEMA_ID),
    schema_version: z.literal(CALIBRATION_SCHEMA_VERSION),
    checkpoint_seed: z.number().int().min(0),
    checkpoint_step: z.number().int().min(0),
    model: z.string(),
    lr: z.number().positive(),
    nbeta: z.number().positive(),
    localization: z.number(),
    num_chains: z.number().int().positive(),
    num_draws: z.number().int().positive(),
    llc_mean: z.number().nullable(),
    llc_std: z.number().nullable(),
    llc_per_chain: z.array(z.number().nullable()),
    init_loss: z.number(),
    diverged: z.array(Divergence),
    trace: z.string(),
    device: z.enum(['cpu', 'cuda']),
  })
  .strict();
export type Calibration = z.infer<typeof Calibration>;
