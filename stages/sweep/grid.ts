// The ε × nβ grid of the notebook's calibration sweep (SPEC.md §5) and the numbers each
// grid point is judged by.
import { meanStd } from '../../pipeline/lib/util/moments.ts';

/** `n` points log-spaced from `lo` to `hi` inclusive (just `lo` when n = 1). */
export function logSpace(lo: number, hi: number, n: number): number[] {
  if (n === 1) return [lo];
  return Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
}

/** nβ grid: log-spaced in [1e-2·nβ₀, 1e3·nβ₀]. */
export function nbetaGrid(nbeta0: number, n: number): number[] {
  return logSpace(1e-2 * nbeta0, 1e3 * nbeta0, n);
}

/** Draws averaged for a point's final λ̂. */
export const FINAL_WINDOW = 50;

/**
 * The final λ̂ of a grid point: the mean of the llc trace [chains, draws] over the last
 * `window` draws of every kept chain, and the std of those same values over their mean.
 */
export function finalLlc(llc: Float32Array, draws: number, kept: readonly number[], window: number): { mean: number | null; stdOverMean: number | null } {
  const values: number[] = [];
  for (const c of kept) for (let d = draws - window; d < draws; d++) values.push(llc[c * draws + d]!);
  if (values.length === 0) return { mean: null, stdOverMean: null };
  const { mean, std } = meanStd(values);
  return { mean, stdOverMean: Number.isFinite(std / mean) ? std / mean : null };
}
