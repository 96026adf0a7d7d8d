// The sample statistics every part of the project uses (λ̂ over chains, sampler
// diagnostics, sweep finals, report baselines), written once.

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Sample variance (n−1). */
export function variance(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - m) ** 2;
  return s / (xs.length - 1);
}

/** Mean and sample standard deviation (n−1); NaN where undefined. */
export function meanStd(xs: ArrayLike<number>): { mean: number; std: number } {
  return { mean: mean(xs), std: xs.length > 1 ? Math.sqrt(variance(xs)) : NaN };
}

export function median(xs: ArrayLike<number>): number {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** Pearson's r of paired values; null with fewer than three pairs or no spread on a side. */
export function pearson(xs: ArrayLike<number>, ys: ArrayLike<number>): number | null {
  if (xs.length < 3) return null;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

/** The central 95% of a sample (bootstrap draws): its 2.5th and 97.5th percentiles. */
export function interval95(draws: readonly number[]): [number, number] {
  const s = [...draws].sort((a, b) => a - b);
  return [s[Math.floor(0.025 * s.length)]!, s[Math.ceil(0.975 * s.length) - 1]!];
}
