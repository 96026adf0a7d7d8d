// The standard error of every λ̂ the report and the diff show, and how to label it. The
// number is health.json's llc_se (pipeline/lib/health: the std of the chains' λ̂ over
// √chains, or with one chain the sd of its draws over √ESS), found by the label the
// sampling stage gave the estimate; where health.json has none (files from before it was
// recorded) there is no error bar, and the labels say so.
import type { CheckpointEstimate } from '../../schemas/estimate.ts';
import type { Health } from '../../schemas/health.ts';
import type { RunData } from './run-data.ts';
import { calibrationLabel, checkpointLabel } from '../../pipeline/lib/health/labels.ts';

export type WithSe<T> = T & { llc_se: number | null };

function seOf(health: Health | undefined, label: string): number | null {
  return health?.estimates.find((e) => e.label === label)?.llc_se ?? null;
}

/** What "± x" means for an estimate from `chains` chains, e.g. "se over 2 chains". */
export function seNote(chains: number): string {
  return chains > 1 ? `se over ${chains} chains` : "se from one chain's draws (sd/√ESS)";
}

/** The estimate stage's checkpoints (or one estimate.restrict group's), each with its se. */
export function checkpointsWithSe(d: Pick<RunData, 'health'>, checkpoints: CheckpointEstimate[], group?: string): WithSe<CheckpointEstimate>[] {
  return checkpoints.map((c) => ({ ...c, llc_se: seOf(d.health.estimate, checkpointLabel(c.seed, c.step, group)) }));
}

export function calibrationSe(d: RunData): number | null {
  return d.calibration ? seOf(d.health.calibration, calibrationLabel(d.calibration.result.checkpoint_seed, d.calibration.result.checkpoint_step)) : null;
}
