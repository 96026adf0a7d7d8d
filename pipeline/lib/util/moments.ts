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
