// The "fraction of x so far" task of SPEC.md §1, drawn from one PCG32 stream:
//   for each sequence: num_x = below(seq_len/2 + 1); the other letters each below(25)
//   mapped past 'x'; the seq_len positions shuffled (Fisher–Yates); then one permutation
//   of all indices whose first floor(train_frac·n) entries are the training split.
import { Pcg32 } from '../../pipeline/lib/util/prng.ts';

export const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
export const VOCAB_SIZE = ALPHABET.length;
export const X_TOKEN = ALPHABET.indexOf('x');

export interface Split {
  /** [n, seq_len] token ids, row-major. */
  tokens: Int32Array;
  /** [n, seq_len] fraction of x in positions 0..i. */
  targets: Float32Array;
  n: number;
}

export interface Dataset {
  seqLen: number;
  train: Split;
  test: Split;
}

/** One sequence of `seqLen` tokens with 0..seqLen/2 copies of x, the rest non-x letters. */
export function drawSequence(rng: Pcg32, seqLen: number): number[] {
  const numX = rng.below(Math.floor(seqLen / 2) + 1);
  const seq: number[] = [];
  for (let i = 0; i < numX; i++) seq.push(X_TOKEN);
  for (let i = numX; i < seqLen; i++) {
    const k = rng.below(VOCAB_SIZE - 1);
    seq.push(k >= X_TOKEN ? k + 1 : k);
  }
  rng.shuffle(seq);
  return seq;
}

/** Target at position i: (number of x in positions 0..i) / (i + 1). */
export function fractionTargets(seq: readonly number[]): number[] {
  let count = 0;
  return seq.map((t, i) => {
    if (t === X_TOKEN) count++;
    return count / (i + 1);
  });
}

function gather(seqs: number[][], idx: number[], seqLen: number): Split {
  const tokens = new Int32Array(idx.length * seqLen);
  const targets = new Float32Array(idx.length * seqLen);
  idx.forEach((src, row) => {
    const seq = seqs[src]!;
    tokens.set(seq, row * seqLen);
    targets.set(fractionTargets(seq), row * seqLen);
  });
  return { tokens, targets, n: idx.length };
}

export function generateDataset(opts: { seed: number; nSamples: number; seqLen: number; trainFrac: number }): Dataset {
  const rng = new Pcg32(opts.seed);
  const seqs = Array.from({ length: opts.nSamples }, () => drawSequence(rng, opts.seqLen));
  const perm = rng.permutation(opts.nSamples);
  const nTrain = Math.floor(opts.trainFrac * opts.nSamples);
  return {
    seqLen: opts.seqLen,
    train: gather(seqs, perm.slice(0, nTrain), opts.seqLen),
    test: gather(seqs, perm.slice(nTrain), opts.seqLen),
  };
}

export function asLetters(tokens: ArrayLike<number>): string {
  return Array.from(tokens, (t) => ALPHABET[t]).join('');
}
