// Numbers as a reader wants them in prose and tables: a few significant digits, exponents
// only for very large or small values, and durations in the largest sensible unit.

/** `digits` significant digits; '—' for a missing or non-finite value. */
export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return String(Number(x.toPrecision(digits)));
}

export function int(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1 estimate", "3 estimates". */
export function count(n: number, noun: string): string {
  return `${int(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** A ratio as a percentage, e.g. 0.0342 → "3.4%". */
export function pct(x: number): string {
  return `${num(100 * x, 2)}%`;
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${num(seconds, seconds < 10 ? 2 : 3)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${String(Math.round(seconds - 60 * m)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** An ISO time as "2026-11-27 09:03 UTC". */
export function when(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
