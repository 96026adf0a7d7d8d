// Effective sample size of a set of chains, as Stan computes it (BDA3 §11.5 with Geyer's
// 1992 initial monotone sequence): the multi-chain autocorrelation
//   ρ̂_t = 1 − (W − mean over chains of γ̂_t) / var⁺
// (γ̂_t: a chain's autocovariance at lag t with divisor n; W and var⁺ as in rhat.ts, so
// chains with different means lower it), then the sums of adjacent pairs
// P_k = ρ̂_2k + ρ̂_2k+1 are added while positive and forced to be non-increasing, and
// ESS = m·n / τ with τ = −1 + 2·Σ P_k. τ is kept ≥ 1/log10(m·n), Stan's cap on how far
// antithetic chains may push ESS above m·n.
import { mean, variance } from '../util/moments.ts';
import type { Chains } from './chains.ts';

/** Fewer draws per chain than this give no estimate (Stan's limit too). */
export const MIN_DRAWS = 4;

/** ESS of all the chains together, or null when they are too short or constant. */
export function effectiveSampleSize(chains: Chains): number | null {
  const m = chains.length;
  const n = chains[0]?.length ?? 0;
  if (m === 0 || n < MIN_DRAWS) return null;
  const means = chains.map(mean);
  // Autocovariances with divisor n, computed lag by lag: the sequence usually stops early.
  const acov = (t: number): number => {
    let total = 0;
    chains.forEach((c, j) => {
      const mu = means[j]!;
      let s = 0;
      for (let i = 0; i + t < n; i++) s += (c[i]! - mu) * (c[i + t]! - mu);
      total += s / n;
    });
    return total / m;
  };
  const w = (acov(0) * n) / (n - 1);
  const bOverN = m > 1 ? variance(means) : 0;
  const varPlus = ((n - 1) / n) * w + bOverN;
  if (!(varPlus > 0)) return null;
  const rho = (t: number) => 1 - (w - acov(t)) / varPlus;

  let sum = 0;
  let previous = Infinity;
  for (let t = 0; t + 1 < n; t += 2) {
    const pair = Math.min(rho(t) + rho(t + 1), previous);
    if (!(pair > 0)) break;
    sum += pair;
    previous = pair;
  }
  const tau = Math.max(-1 + 2 * sum, 1 / Math.log10(m * n));
  const ess = (m * n) / tau;
  return Number.isFinite(ess) ? ess : null;
}
