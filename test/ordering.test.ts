// The ordering check's statistics (stages/estimate/ordering.ts): Spearman's ρ with ties, its
// interval from resampling chains, the checkpoints it samples again, and which sweep points
// count as the recommended point's usable neighbours.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sweep, SweepPoint } from '../schemas/sweep.ts';
import { neighbours, orderingCheckpoints, rankAgreement, spearman } from '../stages/estimate/ordering.ts';

test("Spearman's ρ: 1 for the same order, −1 for the reverse, ties averaged, none below three points", () => {
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // Ranks (0, 1.5, 1.5, 3) against (0, 1, 2, 3): r = 4.5 / √(4.5 · 5).
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 2, 3, 4])! - 4.5 / Math.sqrt(4.5 * 5)) < 1e-12);
  assert.equal(spearman([1, 2], [1, 2]), null);
  assert.equal(spearman([1, 1, 1], [1, 2, 3]), null);
});

test('rank agreement: a tight interval where chains agree, a wide one where their noise reorders checkpoints', () => {
  const levels = [1, 2, 3, 4, 5, 6];
  const tight = levels.map((l) => [l - 0.01, l, l + 0.01]);
  const a = rankAgreement(tight, tight.map((r) => r.map((x) => 2 * x)));
  assert.equal(a.rho, 1);
  assert.deepEqual(a.interval, [1, 1]);
  const noisy = levels.map((l) => [l - 3, l, l + 3]);
  const b = rankAgreement(noisy, noisy);
  assert.equal(b.rho, 1);
  assert.ok(b.interval![0] < 0.7 && b.interval![1] > 0.9, JSON.stringify(b.interval));
});

test('the checkpoints sampled again: evenly over the first seed, first and last included', () => {
  const cps = [0, 1].flatMap((seed) => Array.from({ length: 10 }, (_, k) => ({ seed, step: (k + 1) * 100, file: '', w0: new Float32Array() })));
  assert.deepEqual(orderingCheckpoints(cps, 4).map((c) => [c.seed, c.step]), [[0, 100], [0, 400], [0, 700], [0, 1000]]);
  assert.equal(orderingCheckpoints(cps, 50).length, 10);
});

test("neighbours: one grid step from the recommended point, usable (healthy, not escaped), nearest nβ first, at most two", () => {
  const point = (i: number, j: number, over: Partial<SweepPoint> = {}): SweepPoint => ({ i, j, epsilon: 10 ** (i - 6), nbeta: 10 ** (j + 2), llc_mean: 1, llc_std: 0.1, llc_se: 0.05, llc_per_chain: [1], llc_over_nbeta: 0.01, init_loss: 0.01, diverged: [], problems: [], escaped: null, plateau: null, trace: '', ...over });
  const sweep = {
    recommendation: { rule: '', verdict: '', point: { i: 1, j: 1 } },
    points: [point(0, 1), point(2, 1, { problems: ['MALA acceptance 0.5 < 0.7'] }), point(1, 0), point(1, 2, { escaped: 'near the trivial loss' }), point(0, 0), point(2, 2)],
  } as unknown as Sweep;
  assert.deepEqual(neighbours(sweep).map((p) => [p.i, p.j]), [[0, 1], [1, 0]]);
  assert.deepEqual(neighbours({ ...sweep, recommendation: { ...sweep.recommendation, point: null } }), []);
});
