// The ε × nβ grid of the notebook's calibration sweep (SPEC.md §5).

/** `n` points log-spaced from `lo` to `hi` inclusive (just `lo` when n = 1). */
export function logSpace(lo: number, hi: number, n: number): number[] {
  if (n === 1) return [lo];
  return Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
}

/** nβ grid: log-spaced in [min, max], each 'auto' taking the notebook's bound, 1e-2·nβ₀ and
 * 1e3·nβ₀ (nβ₀ = m/ln m). */
export function nbetaGrid(nbeta0: number, n: number, min: number | 'auto' = 'auto', max: number | 'auto' = 'auto'): number[] {
  return logSpace(min === 'auto' ? 1e-2 * nbeta0 : min, max === 'auto' ? 1e3 * nbeta0 : max, n);
}
