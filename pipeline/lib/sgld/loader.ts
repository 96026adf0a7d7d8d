// devinterp's minibatches (SPEC.md §4): each chain cycles its own shuffled DataLoader —
// every pass a fresh permutation of the n training rows cut into ⌈n/m⌉ batches of m, the
// last one partial (600 rows, m = 256: 256, 256, 88) — and the loss of a batch is the mean
// over its rows. Batches of several streams are written as m row indices each plus a
// per-row loss weight 1/(rows·elements), 0 on the padding of a shorter batch.
import type { Pcg32 } from '../util/prng.ts';

export function batchesPerPass(n: number, batchSize: number): number {
  return Math.ceil(n / batchSize);
}

/** The rows in order, cut into batches of `batchSize` (the last one partial). */
export function consecutiveBatches(n: number, batchSize: number): number[][] {
  return Array.from({ length: Math.ceil(n / batchSize) }, (_, b) => Array.from({ length: Math.min(batchSize, n - b * batchSize) }, (_, j) => b * batchSize + j));
}

/** One chain's endless minibatch stream: `cycle(DataLoader(shuffle=True))`. */
export class ShuffledLoader {
  private order: number[] = [];
  /** Position in `order`; starting at the end makes the first batch start a fresh pass. */
  private at: number;

  constructor(
    readonly n: number,
    readonly batchSize: number,
    private readonly rng: Pcg32,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`loader: the dataset must hold at least one row, got ${n}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`loader: batch size must be a positive integer, got ${batchSize}`);
    this.at = n;
  }

  /** Row indices of the next minibatch. */
  next(): number[] {
    if (this.at >= this.n) {
      this.order = this.rng.permutation(this.n);
      this.at = 0;
    }
    const batch = this.order.slice(this.at, this.at + this.batchSize);
    this.at += batch.length;
    return batch;
  }
}

/** Minibatches as graph inputs: row indices (int64) and loss weights, both [steps,
 * streams, width], and per step the width actually used (the longest batch of that step:
 * streams advance in lockstep, so a pass's short last batch is short in every stream and
 * the graph need not compute its padding). `elements` is the number of loss terms per row
 * (MSE averages over all of them). */
export interface BatchTensors {
  indices: BigInt64Array;
  weights: Float32Array;
  dims: [number, number, number];
  widths: BigInt64Array;
}

/** `rows[k][c]`: the rows of stream c's minibatch at step k, padded to `width`. */
export function batchTensors(rows: readonly (readonly number[])[][], width: number, elements: number): BatchTensors {
  const streams = rows[0]?.length ?? 0;
  const indices = new BigInt64Array(rows.length * streams * width);
  const weights = new Float32Array(indices.length);
  const widths = BigInt64Array.from(rows, (step) => BigInt(Math.max(...step.map((b) => b.length))));
  rows.forEach((step, k) =>
    step.forEach((batch, c) => {
      if (batch.length > width) throw new Error(`loader: a batch of ${batch.length} rows does not fit width ${width}`);
      const base = (k * streams + c) * width;
      batch.forEach((row, j) => {
        indices[base + j] = BigInt(row);
        weights[base + j] = 1 / (batch.length * elements);
      });
    }),
  );
  return { indices, weights, dims: [rows.length, streams, width], widths };
}

/** The next `steps` minibatches of every loader. */
export function drawBatches(loaders: readonly ShuffledLoader[], steps: number, elements: number): BatchTensors {
  const rows = Array.from({ length: steps }, () => loaders.map((l) => l.next()));
  return batchTensors(rows, batchWidth(loaders), elements);
}

/** The padded batch width: a full batch (at most the whole dataset). Loaders batched
 * together must agree on it. */
export function batchWidth(loaders: readonly ShuffledLoader[]): number {
  const widths = new Set(loaders.map((l) => Math.min(l.batchSize, l.n)));
  if (widths.size !== 1) throw new Error(`loader: streams batched together must share one batch width, got ${[...widths].join(', ')}`);
  return [...widths][0]!;
}
