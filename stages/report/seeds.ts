// A run's training seeds side by side: each seed's metrics and λ̂ per checkpoint (with its
// standard error), and the same as the curves the claims are judged on (claims.ts).
import type { CheckpointEstimate } from '../../schemas/estimate.ts';
import type { Metrics } from '../../schemas/training.ts';
import type { SeedCurves } from './claims.ts';
import type { RunData } from './run-data.ts';
import { checkpointsWithSe, type WithSe } from './uncertainty.ts';

export interface SeedRun {
  seed: number;
  metrics: Metrics;
  /** The estimate stage's checkpoints of this seed, in training order; empty without estimates. */
  checkpoints: WithSe<CheckpointEstimate>[];
}

/** Every seed with metrics, ascending. */
export function seedRuns(d: Pick<RunData, 'metrics' | 'estimates' | 'health'>): SeedRun[] {
  const all = d.estimates ? checkpointsWithSe(d, d.estimates.checkpoints) : [];
  return (d.metrics ?? []).map((metrics) => ({ seed: metrics.seed, metrics, checkpoints: all.filter((c) => c.seed === metrics.seed) }));
}

/** What the claims are judged on: per seed, its evaluations and its λ̂ (diverged estimates left out). */
export function claimCurves(runs: readonly SeedRun[]): SeedCurves[] {
  return runs.map((r) => ({
    seed: r.seed,
    rows: r.metrics.rows,
    llc: r.checkpoints.flatMap((c) => (c.llc_mean === null ? [] : [{ step: c.step, llc: c.llc_mean, se: c.llc_se }])),
  }));
}

/** "seed 0" or "seeds 0, 1, 2". */
export const seedList = (runs: readonly { seed: number }[]) => `${runs.length === 1 ? 'seed' : 'seeds'} ${runs.map((r) => r.seed).join(', ')}`;
