// The random stream behind dropout masks: xoshiro128** seeded through splitmix32. Made in JS
// rather than with tf.randomUniform because it is faster on wasm (FACTS.md) and its sequence
// is ours to document: a run is reproducible from its seed on every backend. The period
// (2^128 − 1) is far beyond the ~10^11 draws of a full training run.

export class MaskRng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`dropout seed must be an integer, got ${seed}`);
    // splitmix32 over the low and high words of the seed spreads any seed over the 128-bit state.
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b9);
    const next = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** `size` keep decisions: 1 with probability 1−ratio, else 0. */
  keepBits(size: number, ratio: number): Uint8Array {
    if (!(ratio >= 0 && ratio < 1)) throw new Error(`dropout ratio must be in [0, 1), got ${ratio}`);
    const threshold = (1 - ratio) * 2 ** 32;
    const bits = new Uint8Array(size);
    for (let i = 0; i < size; i++) if (this.nextUint32() < threshold) bits[i] = 1;
    return bits;
  }

  /** An inverted-dropout mask of `size` values: 1/(1−ratio) with probability 1−ratio, else 0. */
  dropoutMask(size: number, ratio: number): Float32Array {
    const bits = this.keepBits(size, ratio);
    const scale = 1 / (1 - ratio);
    const mask = new Float32Array(size);
    for (let i = 0; i < size; i++) if (bits[i]) mask[i] = scale;
    return mask;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
