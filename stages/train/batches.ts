// Minibatches of distinct training samples, drawn uniformly at random every step. Each step
// has its own PCG32 stream (stream = step), so any step's batch is reproducible by itself and
// resuming from a checkpoint needs no generator state.
import { Pcg32 } from '../../pipeline/lib/util/prng.ts';

/** `size` distinct indices from 0..n-1 (a partial Fisher–Yates shuffle), for `step`. */
export function batchIndices(seed: number, step: number, n: number, size: number): Int32Array {
  if (size > n) throw new Error(`batch of ${size} distinct samples from only ${n}`);
  const rng = new Pcg32(seed, step);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + rng.below(n - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, size);
}

/** Rows `idx` of a row-major [n, width] array. */
export function gatherRows<T extends Int32Array | Float32Array>(data: T, width: number, idx: Int32Array): T {
  const out = new (data.constructor as new (n: number) => T)(idx.length * width);
  idx.forEach((row, i) => out.set(data.subarray(row * width, (row + 1) * width), i * width));
  return out;
}
