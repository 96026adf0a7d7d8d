// The notebook's claims as the report judges them (stages/report/claims.ts), on synthetic
// training curves and λ̂ curves built so that each verdict must come out: phases found from
// train/test MAE, λ̂'s trend per phase pooled over seeds, the noise-corrected correlation
// with the test loss, and the seed-by-seed agreement.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pcg32, standardNormal } from '../pipeline/lib/util/prng.ts';
import { evaluateClaims, phasesOf, trendIn, type EvalRow, type LlcPoint, type SeedCurves } from '../stages/report/claims.ts';

const CONSTANT = 0.2;
const STEPS = Array.from({ length: 40 }, (_, i) => (i + 1) * 100);

/** A grokking run: train MAE falls by step 300 while test MAE stays near the constant until
 * 600, then falls to 0.02 by step 2 000 and stays. */
function grokking(shift = 0): EvalRow[] {
  return STEPS.map((step) => {
    const train = step <= 300 + shift ? 0.2 - (0.19 * step) / (300 + shift) : 0.01;
    const test = step <= 600 + shift ? 0.19 : step >= 2000 + shift ? 0.02 : 0.19 - (0.17 * (step - 600 - shift)) / 1400;
    return { step, train_mae: train, test_mae: test, test_mse: test * test };
  });
}

/** λ̂ = f(step) plus Gaussian noise of sd `noise`, reported with se = noise. */
function llc(f: (step: number) => number, noise: number, rng: Pcg32): LlcPoint[] {
  return STEPS.map((step) => ({ step, llc: f(step) + noise * standardNormal(rng), se: noise }));
}

/** Up during memorisation (to step 300), down during generalisation, flat after. */
const upDownFlat = (shift = 0) => (step: number) => (step <= 300 + shift ? 2 + (6 * step) / (300 + shift) : step <= 2000 + shift ? 8 - (5 * (step - 300 - shift)) / 1700 : 3);

function seeds(n: number, make: (seed: number, rng: Pcg32) => SeedCurves): SeedCurves[] {
  return Array.from({ length: n }, (_, s) => make(s, new Pcg32(7, s)));
}


test('phases: memorisation until the gap is (nearly) widest, generalisation until 90% of the fall, then after', () => {
  const p = phasesOf({ seed: 0, rows: grokking(), llc: [] }, CONSTANT);
  assert.deepEqual(p.memorisation, { from: 0, to: 300 });
  assert.ok(p.generalisation && p.generalisation.from === 300 && p.generalisation.to >= 1800 && p.generalisation.to <= 2000, JSON.stringify(p.generalisation));
  assert.deepEqual(p.after, { from: p.generalisation.to, to: 4000 });
  assert.deepEqual(p.notes, []);
  // Train and test together, learned: no memorisation, one learning phase.
  const together = STEPS.map((step) => ({ step, train_mae: 0.2 * Math.exp(-step / 300), test_mae: 0.2 * Math.exp(-step / 300) + 0.001, test_mse: 0 }));
  const q = phasesOf({ seed: 1, rows: together, llc: [] }, CONSTANT);
  assert.equal(q.memorisation, null);
  assert.equal(q.generalisation?.from, 0);
  assert.match(q.notes[0]!, /^no memorisation: test − train MAE is widest at step/);
  // Never learns (the notebook's run): neither phase.
  const flat = STEPS.map((step) => ({ step, train_mae: 0.17, test_mae: 0.19, test_mse: 0.05 }));
  const r = phasesOf({ seed: 2, rows: flat, llc: [] }, CONSTANT);
  assert.equal(r.memorisation, null);
  assert.equal(r.generalisation, null);
  assert.match(r.notes.join(' '), /no generalisation: the final test MAE is 0\.95 of the constant's, above 0\.25/);
});

test('trend: the least-squares change across a phase, with a residual standard error', () => {
  const line = STEPS.map((step) => ({ step, llc: 1 + step / 1000, se: 0.1 }));
  const t = trendIn(line, { from: 1000, to: 2000 }, 'generalisation');
  assert.ok(Math.abs(t.change! - 1) < 1e-12, String(t.change));
  assert.ok(t.se! < 1e-9);
  assert.equal(t.checkpoints, 11);
  const two = trendIn(line, { from: 950, to: 1150 }, 'memorisation');
  assert.equal(two.checkpoints, 2);
  assert.ok(Math.abs(two.se! - Math.hypot(0.1, 0.1) / 0.5) < 1e-12);
  assert.equal(trendIn(line, { from: 950, to: 1050 }, 'after').change, null);
});

test('claim 1 supported, and robust over seeds, where λ̂ rises, falls and flattens in every run', () => {
  const curves = seeds(4, (seed, rng) => ({ seed, rows: grokking(seed * 50), llc: llc(upDownFlat(seed * 50), 0.1, rng) }));
  const r = evaluateClaims(curves, CONSTANT);
  const [c1, , c3] = r.claims;
  assert.equal(c1!.verdict, 'supported', c1!.because);
  assert.equal(c1!.because, 'λ̂ rises during memorisation, falls during generalisation and is flat after it');
  assert.ok(r.pooled[0]!.change! > 4 && r.pooled[1]!.change! < -4, JSON.stringify(r.pooled));
  assert.equal(c3!.verdict, 'supported', c3!.because);
});

test('claim 1 contradicted where λ̂ falls during memorisation; cannot tell where the noise swamps it or nothing is memorised', () => {
  const falling = seeds(3, (seed, rng) => ({ seed, rows: grokking(), llc: llc((s) => 10 - upDownFlat()(s), 0.1, rng) }));
  const [c1] = evaluateClaims(falling, CONSTANT).claims;
  assert.equal(c1!.verdict, 'contradicted');
  assert.equal(c1!.because, 'λ̂ falls during memorisation, where the claim has it rise');

  const noisy = seeds(3, (seed, rng) => ({ seed, rows: grokking(), llc: llc(() => 5, 5, rng) }));
  assert.equal(evaluateClaims(noisy, CONSTANT).claims[0]!.verdict, 'cannot tell');

  const neverLearns = seeds(1, (seed, rng) => ({ seed, rows: STEPS.map((step) => ({ step, train_mae: 0.17, test_mae: 0.19, test_mse: 0.05 })), llc: llc(() => 0.2, 0.05, rng) }));
  const [n1, , n3] = evaluateClaims(neverLearns, CONSTANT).claims;
  assert.equal(n1!.verdict, 'cannot tell');
  assert.match(n1!.because, /neither memorises nor learns the task in any of the 1 run/);
  assert.equal(n3!.verdict, 'cannot tell');
  assert.match(n3!.because, /1 training seed: at least 3 are needed/);
});

test('claim 2: supported where λ̂ follows the test loss, contradicted where it does not, cannot tell where the interval straddles', () => {
  const follows = seeds(3, (seed, rng) => {
    const rows = grokking();
    return { seed, rows, llc: rows.map((r) => ({ step: r.step, llc: 1 + 100 * r.test_mse + 0.1 * standardNormal(rng), se: 0.1 })) };
  });
  const [, c2] = evaluateClaims(follows, CONSTANT).claims;
  assert.equal(c2!.verdict, 'supported', c2!.because);
  // Seeds that agree on the opposite of the claimed behaviour contradict its robustness.
  const against = seeds(3, (seed, rng) => ({ seed, rows: grokking(), llc: llc((s) => 10 - upDownFlat()(s), 0.1, rng) }));
  const c3 = evaluateClaims(against, CONSTANT).claims[2]!;
  assert.equal(c3.verdict, 'contradicted');
  assert.match(c3.because, /^the seeds agree with one another \(3 contradicted; 3 does not track\), but on a behaviour other than the notebook's/);

  const unrelated = seeds(3, (seed, rng) => ({ seed, rows: grokking(), llc: STEPS.map((step) => ({ step, llc: 3 + Math.sin(step / 150), se: 0.05 + 0 * standardNormal(rng) })) }));
  const [, u2] = evaluateClaims(unrelated, CONSTANT).claims;
  assert.equal(u2!.verdict, 'contradicted', u2!.because);

  // Only a few checkpoints and noise as large as the signal: the interval is wide.
  const few = seeds(3, (seed, rng) => {
    const rows = grokking().filter((_, i) => i % 8 === 0);
    return { seed, rows, llc: rows.map((r) => ({ step: r.step, llc: 1 + 40 * r.test_mse + 0.8 * standardNormal(rng), se: 0.3 })) };
  });
  const [, f2] = evaluateClaims(few, CONSTANT).claims;
  assert.equal(f2!.verdict, 'cannot tell', f2!.because);
  assert.match(f2!.because, /straddles 0\.5/);
});

test('claim 2: λ̂ no wider than its own noise gives no correlation to judge', () => {
  const pure = seeds(3, (seed, rng) => ({ seed, rows: grokking(), llc: grokking().map((r) => ({ step: r.step, llc: 2 + 0 * standardNormal(rng), se: 0.5 })) }));
  const r = evaluateClaims(pure, CONSTANT);
  assert.equal(r.claims[1]!.verdict, 'cannot tell');
});

test('claim 3 contradicted where the seeds disagree, even when the pooled claims cannot tell', () => {
  const mixed = seeds(4, (seed, rng) => ({ seed, rows: grokking(), llc: llc(seed % 2 ? upDownFlat() : (s) => 10 - upDownFlat()(s), 0.1, rng) }));
  const [c1, , c3] = evaluateClaims(mixed, CONSTANT).claims;
  assert.equal(c1!.verdict, 'cannot tell');
  assert.equal(c3!.verdict, 'contradicted');
  assert.match(c3!.because, /^the seeds disagree on the phase claim \(2 (supported|contradicted), 2 (supported|contradicted)\)$/);
  // One seed of four against the rest: still a split (25% of the seeds).
  const one = seeds(4, (seed, rng) => ({ seed, rows: grokking(), llc: llc(seed === 0 ? (s) => 10 - upDownFlat()(s) : upDownFlat(), 0.1, rng) }));
  assert.equal(evaluateClaims(one, CONSTANT).claims[2]!.verdict, 'contradicted');
});
