// Does the shape of λ̂ over training survive a change of calibration? Researchers trust the
// ordering of checkpoints more than λ̂'s level, so where ε and nβ come from the sweep, a few
// checkpoints of the first training seed are sampled again at the sweep's neighbouring
// points that are themselves usable (healthy and in the basin: sweep.json's judgement), and
// the ranks compared: Spearman's ρ between λ̂ at the recommended point and at each neighbour,
// with a 95% interval from resampling each checkpoint's chains (the estimates' own noise).
import type { Sweep, SweepPoint } from '../../schemas/sweep.ts';
import type { Ordering } from '../../schemas/estimate.ts';
import { Pcg32 } from '../../pipeline/lib/util/prng.ts';
import { interval95, mean, pearson } from '../../pipeline/lib/util/moments.ts';
import type { Checkpoint } from '../../pipeline/lib/sgld/checkpoints.ts';
import { firstSeedCheckpoints } from '../../pipeline/lib/sgld/stage-inputs.ts';

/** Resamples for ρ's interval (seeded: estimates.json is reproducible). */
const RESAMPLES = 1000;
/** At most this many neighbouring points are checked. */
const NEIGHBOURS = 2;

/** The recommended point's usable neighbours in the grid (one step in ε or in nβ), nearest in nβ first. */
export function neighbours(sweep: Sweep): SweepPoint[] {
  const at = sweep.recommendation.point;
  if (!at) return [];
  const usable = (p: SweepPoint) => p.problems.length === 0 && p.escaped === null && p.llc_mean !== null;
  return sweep.points
    .filter((p) => Math.abs(p.i - at.i) + Math.abs(p.j - at.j) === 1 && usable(p))
    .sort((a, b) => Math.abs(a.j - at.j) - Math.abs(b.j - at.j) || a.i - b.i || a.j - b.j)
    .slice(0, NEIGHBOURS);
}

/** `count` checkpoints of the first seed, evenly spread over training (first and last included). */
export function orderingCheckpoints(checkpoints: readonly Checkpoint[], count: number): Checkpoint[] {
  const own = firstSeedCheckpoints(checkpoints).checkpoints;
  if (count >= own.length) return [...own];
  return Array.from({ length: count }, (_, k) => own[Math.round((k * (own.length - 1)) / (count - 1))]!);
}

/** Ranks with ties averaged. */
function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const r = new Array<number>(xs.length);
  for (let k = 0; k < order.length; ) {
    let end = k;
    while (end + 1 < order.length && order[end + 1]!.x === order[k]!.x) end++;
    for (let m = k; m <= end; m++) r[order[m]!.i] = (k + end) / 2;
    k = end + 1;
  }
  return r;
}

/** Spearman's ρ: Pearson's r of the ranks. */
export function spearman(a: readonly number[], b: readonly number[]): number | null {
  return pearson(ranks(a), ranks(b));
}

/** ρ between two sets of per-checkpoint chain values, with a 95% interval from resampling chains. */
export function rankAgreement(main: readonly (readonly number[])[], other: readonly (readonly number[])[]): { rho: number | null; interval: [number, number] | null } {
  const rho = spearman(main.map(mean), other.map(mean));
  if (rho === null) return { rho, interval: null };
  const rng = new Pcg32(0, 0x0d3e);
  const resample = (xs: readonly number[]) => mean(Array.from(xs, () => xs[rng.below(xs.length)]!));
  const draws: number[] = [];
  for (let b = 0; b < RESAMPLES; b++) {
    const r = spearman(main.map(resample), other.map(resample));
    if (r !== null) draws.push(r);
  }
  return { rho, interval: draws.length ? interval95(draws) : null };
}

/** estimates.json's `ordering`, from the chains' λ̂ at the recommended point and at each neighbour. */
export function orderingResult(checkpoints: readonly Checkpoint[], main: (number | null)[][], others: { point: SweepPoint; chains: (number | null)[][] }[]): Ordering {
  const kept = (rows: (number | null)[][]) => rows.map((r) => r.filter((v): v is number => v !== null));
  return {
    seed: checkpoints[0]!.seed,
    steps: checkpoints.map((c) => c.step),
    points: others.map(({ point, chains }) => {
      const m = kept(main);
      const o = kept(chains);
      const usable = m.every((r) => r.length > 0) && o.every((r) => r.length > 0);
      const { rho, interval } = usable ? rankAgreement(m, o) : { rho: null, interval: null };
      return { epsilon: point.epsilon, nbeta: point.nbeta, llc: o.map((r) => (r.length ? mean(r) : null)), rho, interval };
    }),
  };
}
