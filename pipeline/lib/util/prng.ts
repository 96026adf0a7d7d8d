// The project's generator for every seeded choice (data, splits, batches, initial weights,
// SGLD minibatch orders and the seeds of the noise streams): PCG32 (O'Neill 2014,
// "PCG-XSH-RR" with a 64-bit LCG state and 32-bit output), the generator of the reference pcg32 C library. Chosen
// because it is small, well documented and has published reference outputs that the tests
// check, so any seeded artifact can be reproduced in another language. (Dropout masks use
// the faster pipeline/lib/tfjs/rng.ts, SGLD noise the streams of pipeline/lib/sgld/noise.ts.)
//   state ← state · 6364136223846793005 + inc   (mod 2^64), inc = (stream << 1) | 1
//   output = rotr32(((state_old >> 18) ^ state_old) >> 27, state_old >> 59)
// Seeding follows pcg32_srandom_r(seed, stream).

const MASK64 = (1n << 64n) - 1n;
const MULT = 6364136223846793005n;

export class Pcg32 {
  private state = 0n;
  private readonly inc: bigint;

  constructor(seed: number | bigint, stream: number | bigint = 54) {
    this.inc = ((BigInt(stream) << 1n) | 1n) & MASK64;
    this.nextU32();
    this.state = (this.state + BigInt(seed)) & MASK64;
    this.nextU32();
  }

  /** The next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const old = this.state;
    this.state = (old * MULT + this.inc) & MASK64;
    const xorshifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  }

  /** Uniform integer in [0, bound), unbiased (pcg32_boundedrand_r: reject below 2^32 mod bound). */
  below(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > 2 ** 32) throw new Error(`Pcg32.below: bound must be an integer in [1, 2^32], got ${bound}`);
    const threshold = (2 ** 32 - bound) % bound;
    for (;;) {
      const r = this.nextU32();
      if (r >= threshold) return r % bound;
    }
  }

  /** Uniform float in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextU32() / 2 ** 32;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates, from the last position down). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    this.shuffle(p);
    return p;
  }

  /** Shuffles in place (Fisher–Yates: for i = n-1 … 1, swap a[i] with a[below(i+1)]). */
  shuffle<T>(a: T[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
  }
}

/** splitmix64's finaliser (Steele, Lea & Flood 2014): a bijection of 64-bit words in which
 * every input bit moves every output bit. */
function mix64(x: bigint): bigint {
  let z = x & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/**
 * A PCG32 keyed by every part (each a 64-bit word), for streams named by several numbers
 * that vary together. Not `new Pcg32(a, b)` with both varying: PCG32's seed and stream are
 * not independent — srandom(s, t) and srandom(s + 2, t − 1) start from states that differ
 * only in the low bits, so their first outputs are equal. The parts are hashed into the seed
 * and the stream, so distinct keys collide only by a 64-bit chance.
 */
export function keyedPcg32(...parts: readonly bigint[]): Pcg32 {
  let h = 0x9e3779b97f4a7c15n;
  for (const p of parts) h = mix64(h ^ (p & MASK64));
  return new Pcg32(h, mix64(h + 0x9e3779b97f4a7c15n));
}

/** Standard normal by Box–Muller from two uniforms of `rng`, the first mapped into (0, 1]. */
export function standardNormal(rng: Pcg32): number {
  const u1 = 1 - rng.uniform();
  const u2 = rng.uniform();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
