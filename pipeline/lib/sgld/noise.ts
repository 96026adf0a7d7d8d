// The SGLD noise N(0, 1): each chain's own stream, drawn here and fed to the step graph, so
// that CPU and CUDA draw the same noise, a run's randomness can be written out and replayed in
// devinterp (randomness.ts), and the generator is ours to test against reference outputs —
// not onnxruntime's RandomNormal, whose CPU kernel is libstdc++'s minstd_rand0 (a 31-bit LCG)
// and whose CUDA kernel is Philox, seeded by one float attribute. The stream is xoshiro128**
// (Blackman & Vigna 2018), 32-bit arithmetic only, so it is fast in JavaScript, seeded by four
// outputs of the chain's PCG32; normals come in pairs by Box–Muller in float64, rounded to
// float32 once. (The lean against devinterp that docs/devinterp-agreement.md tracks down came
// from how chains were seeded, estimate-llc.ts's streamRng, not from minstd_rand0.)
import type { Pcg32 } from '../util/prng.ts';

/** What seeds a stream: four 32-bit words (a chain's PCG32). */
export type NoiseSeed = Pick<Pcg32, 'nextU32'>;

const TWO_PI = 2 * Math.PI;
const U32 = 2 ** 32;

export class NoiseStream {
  private readonly s = new Uint32Array(4);
  /** The second normal of the last Box–Muller pair, when not yet used. */
  private spare: number | undefined;

  constructor(rng: NoiseSeed) {
    for (let i = 0; i < 4; i++) this.s[i] = rng.nextU32();
    // The all-zero state is xoshiro's one fixed point.
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** xoshiro128**: the next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const s0 = s[0]!, s1 = s[1]!, s2 = s[2]! ^ s0, s3 = s[3]! ^ s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    s[0] = s0 ^ s3;
    s[1] = s1 ^ s2;
    s[2] = s2 ^ (s1 << 9);
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** Fills `out[from, from + count)` with standard normals. */
  fill(out: Float32Array, from = 0, count = out.length - from): void {
    let i = from;
    const end = from + count;
    if (this.spare !== undefined && i < end) {
      out[i++] = this.spare;
      this.spare = undefined;
    }
    while (i < end) {
      // u1 in (0, 1] so that the log is finite; u2 in [0, 1).
      const u1 = (this.nextU32() + 1) / U32;
      const u2 = this.nextU32() / U32;
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i++] = r * Math.cos(TWO_PI * u2);
      if (i < end) out[i++] = r * Math.sin(TWO_PI * u2);
      else this.spare = r * Math.sin(TWO_PI * u2);
    }
  }
}
