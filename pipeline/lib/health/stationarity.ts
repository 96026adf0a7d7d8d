// Is a trace stationary? The mean of the first half of the draws against the mean of the
// last half (Geweke's idea, with halves). Each half's standard error is its standard
// deviation over √ESS, so autocorrelated chains — whose halves differ more by chance —
// need a larger gap before they are called drifting.
import { effectiveSampleSize, MIN_DRAWS } from './ess.ts';
import { mean, variance } from '../util/moments.ts';
import { halves, pooled, type Chains } from './chains.ts';

/** |z| above this calls a trace non-stationary: with ~100 estimates per run, a 2σ rule
 * would flag about five stationary ones by chance, 3σ one in every few runs. */
export const Z_LIMIT = 3;

export interface Stationarity {
  first: number;
  second: number;
  /** (second − first) in standard errors of the difference. */
  z: number;
  nonstationary: boolean;
}

function meanAndSe(chains: Float64Array[]): { mean: number; se2: number } {
  const all = pooled(chains);
  const v = variance(all);
  // A constant half has no noise: any gap to the other half is real. (A half that varies
  // has var⁺ > 0, so its ESS exists.)
  const se2 = v > 0 ? v / effectiveSampleSize(chains)! : 0;
  return { mean: mean(all), se2 };
}

/** Null when a half has fewer than MIN_DRAWS draws. */
export function stationarity(chains: Chains): Stationarity | null {
  const { first, second } = halves(chains);
  if ((first[0]?.length ?? 0) < MIN_DRAWS) return null;
  const a = meanAndSe(first);
  const b = meanAndSe(second);
  const gap = b.mean - a.mean;
  const se = Math.sqrt(a.se2 + b.se2);
  const z = se > 0 ? gap / se : gap === 0 ? 0 : Math.sign(gap) * Infinity;
  return { first: a.mean, second: b.mean, z, nonstationary: Math.abs(z) > Z_LIMIT };
}
