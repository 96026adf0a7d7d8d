// Split-R̂ as in BDA3 (Gelman et al. 2013, §11.4), on the raw values — not the rank-normalised
// version of Vehtari et al. (2021). Each chain is cut in two, so one chain still yields a
// diagnostic (its halves disagree when it drifts), and with m split chains of n draws
//   W = mean within-chain variance, B/n = variance of the chain means,
//   var⁺ = (n−1)/n·W + B/n,  R̂ = √(var⁺ / W).
// The traces here are losses of a localized posterior with light tails, where the raw form
// behaves; its threshold is BDA3's 1.1 (see estimate-health.ts).
import { mean, variance } from '../util/moments.ts';
import { splitChains, type Chains } from './chains.ts';

/** Split-R̂, or null when a half has fewer than 2 draws or the chains are constant. */
export function splitRhat(chains: Chains): number | null {
  const split = splitChains(chains);
  const n = split[0]?.length ?? 0;
  if (n < 2) return null;
  const w = mean(split.map(variance));
  if (!(w > 0)) return null;
  const bOverN = split.length > 1 ? variance(split.map(mean)) : 0;
  const r = Math.sqrt((((n - 1) / n) * w + bOverN) / w);
  return Number.isFinite(r) ? r : null;
}
