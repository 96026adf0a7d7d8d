// The SGLD noise streams (pipeline/lib/sgld/noise.ts): xoshiro128** against the reference C
// implementation's outputs, standard normals with the moments and independence they must
// have, a stream that continues across fills of any length, and chains of different runs that
// never share their streams.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NoiseStream } from '../pipeline/lib/sgld/noise.ts';
import { chainSpec, type LlcSettings } from '../pipeline/lib/sgld/estimate-llc.ts';
import { chainStreams } from '../pipeline/lib/sgld/sessions.ts';
import { Pcg32 } from '../pipeline/lib/util/prng.ts';

const LLC_SETTINGS: LlcSettings = {
  lr: 1e-3, nbeta: 2, localization: 5, weight_decay: 0, noise_level: 1, num_chains: 8, num_draws: 10, num_burnin_steps: 0,
  num_steps_bw_draws: 1, batch_size: 256, seed: 0, sampler: 'sgld', init_loss: 'full',
};

/** A seed that hands the stream the state words s[0..3] as they are. */
const words = (...w: number[]) => ({ nextU32: () => w.shift()! });

test('xoshiro128** gives the reference implementation\'s outputs', () => {
  // prng.di.unimi.it/xoshiro128starstar.c from the state {1, 2, 3, 4}, compiled and run.
  const s = new NoiseStream(words(1, 2, 3, 4));
  assert.deepEqual(Array.from({ length: 8 }, () => s.nextU32()), [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
  for (let i = 0; i < 992; i++) s.nextU32();
  assert.equal(s.nextU32(), 136054147, 'the 1001st output');
});

test('the all-zero state, xoshiro\'s fixed point, is never used', () => {
  const s = new NoiseStream(words(0, 0, 0, 0));
  assert.ok(Array.from({ length: 4 }, () => s.nextU32()).some((v) => v !== 0));
});

test('the noise is standard normal: mean, variance, fourth moment, tails; no correlation between neighbours or streams', () => {
  const n = 1 << 20;
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  new NoiseStream(new Pcg32(7, 1)).fill(a);
  new NoiseStream(new Pcg32(7, 2)).fill(b);
  let m1 = 0, m2 = 0, m4 = 0, lag = 0, cross = 0, beyond2 = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    m1 += x;
    m2 += x * x;
    m4 += x ** 4;
    if (i > 0) lag += x * a[i - 1]!;
    cross += x * b[i]!;
    if (Math.abs(x) > 2) beyond2++;
  }
  // Each bound is 5 standard errors of its statistic under N(0, 1).
  const se = (v: number) => 5 * Math.sqrt(v / n);
  assert.ok(Math.abs(m1 / n) < se(1), `mean ${m1 / n}`);
  assert.ok(Math.abs(m2 / n - 1) < se(2), `variance ${m2 / n}`);
  assert.ok(Math.abs(m4 / n - 3) < se(96), `fourth moment ${m4 / n}`);
  assert.ok(Math.abs(lag / n) < se(1), `lag-1 correlation ${lag / n}`);
  assert.ok(Math.abs(cross / n) < se(1), `correlation between two chains' streams ${cross / n}`);
  const tail = 0.0455003; // P(|N(0,1)| > 2)
  assert.ok(Math.abs(beyond2 / n - tail) < se(tail * (1 - tail)), `P(|x| > 2) = ${beyond2 / n}`);
});

test('a stream continues across fills of any length, odd ones included', () => {
  const whole = new Float32Array(16);
  new NoiseStream(new Pcg32(3, 9)).fill(whole);
  const parts = new Float32Array(16);
  const s = new NoiseStream(new Pcg32(3, 9));
  s.fill(parts, 0, 3);
  s.fill(parts, 3, 5);
  s.fill(parts, 8, 1);
  s.fill(parts, 9);
  assert.deepEqual(parts, whole);
});

test('chains of neighbouring --seed values draw their own noise and minibatches (no stream shared across runs)', () => {
  const point = { w0: new Float32Array(1), key: 0 };
  const first = (seed: number, chain: number) => {
    const { noise, loader } = chainStreams(chainSpec(point, { ...LLC_SETTINGS, seed }, chain).rng, 600, 256);
    const v = new Float32Array(8);
    noise.fill(v);
    return { noise: Array.from(v), batch: loader.next().slice(0, 8) };
  };
  // Chain c + 1 of seed s against chain c of seed s + 2: seeded as Pcg32(seed, chain), their
  // generators began with the same output, which alone seeded onnxruntime's noise before.
  const opening = (seed: number, chain: number) => chainSpec(point, { ...LLC_SETTINGS, seed }, chain).rng.nextU32();
  for (const [s, c] of [[0, 0], [1, 3], [5, 6]] as const) {
    assert.notEqual(opening(s, c + 1), opening(s + 2, c));
    const [a, b] = [first(s, c + 1), first(s + 2, c)];
    assert.notDeepEqual(a.noise, b.noise, `seed ${s} chain ${c + 1} vs seed ${s + 2} chain ${c}`);
    assert.notDeepEqual(a.batch, b.batch);
  }
});
