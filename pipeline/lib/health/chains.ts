// A set of MCMC chains — rows of equal length, one per chain — and the arithmetic the
// diagnostics share: halves, split chains, and the rows of a [chains, draws] trace.

export type Chains = readonly ArrayLike<number>[];

/** Draws per chain (the chains are assumed to have equal length). */
export function drawsOf(chains: Chains): number {
  return chains[0]?.length ?? 0;
}

/** All draws of all chains in one array. */
export function pooled(chains: Chains): Float64Array {
  const n = drawsOf(chains);
  const out = new Float64Array(chains.length * n);
  chains.forEach((c, i) => out.set(Array.from(c), i * n));
  return out;
}

function slice(xs: ArrayLike<number>, start: number, end: number): Float64Array {
  return Float64Array.from({ length: end - start }, (_, i) => xs[start + i]!);
}

/** The first and the last floor(n/2) draws of every chain; the middle draw of an odd n is
 * dropped, as Stan does, so both halves have the same length. */
export function halves(chains: Chains): { first: Float64Array[]; second: Float64Array[] } {
  const n = drawsOf(chains);
  const h = Math.floor(n / 2);
  return { first: chains.map((c) => slice(c, 0, h)), second: chains.map((c) => slice(c, n - h, n)) };
}

/** Each chain cut into its two halves: 2·m chains (BDA3 §11.4's "split" chains). */
export function splitChains(chains: Chains): Float64Array[] {
  const { first, second } = halves(chains);
  return first.flatMap((f, i) => [f, second[i]!]);
}

/** Rows `keep` of a row-major [chains, draws] trace. */
export function rowsOf(trace: Float32Array, draws: number, keep: readonly number[]): Float32Array[] {
  return keep.map((c) => trace.subarray(c * draws, (c + 1) * draws));
}
