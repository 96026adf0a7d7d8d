// Draw schedule and λ̂ statistics (devinterp's LLCEstimator / OnlineLLCEstimator).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawAt, totalSteps } from '../pipeline/lib/sgld/draw-schedule.ts';
import { meanStd } from '../pipeline/lib/util/moments.ts';
import { defaultNbeta, estimateLlc } from '../pipeline/lib/sgld/llc-estimator.ts';

test('draws: burn-in discarded, then every thin-th step', () => {
  const s = { burnin: 3, draws: 4, thin: 2 };
  assert.equal(totalSteps(s), 11);
  const draws = Array.from({ length: totalSteps(s) }, (_, i) => drawAt(s, i));
  assert.deepEqual(draws, [undefined, undefined, undefined, undefined, 0, undefined, 1, undefined, 2, undefined, 3]);
  const plain = { burnin: 0, draws: 3, thin: 1 };
  assert.deepEqual([0, 1, 2].map((i) => drawAt(plain, i)), [0, 1, 2]);
});

test('λ̂ per chain, mean and sample std; online traces', () => {
  const losses = [Float32Array.of(1, 2, 3), Float32Array.of(2, 2, 2)];
  const est = estimateLlc(losses, new Set(), 1.5, 2);
  assert.deepEqual(est.llcPerChain, [1, 1]);
  assert.equal(est.llcMean, 1);
  assert.equal(est.llcStd, 0);
  assert.deepEqual(Array.from(est.llcTrace), [-1, 1, 3, 1, 1, 1]);
  assert.deepEqual(Array.from(est.llcMeanTrace), [0, 1, 2]);
  assert.deepEqual(Array.from(est.llcStdTrace), [Math.fround(Math.SQRT2), 0, Math.fround(Math.SQRT2)]);
  assert.deepEqual(Array.from(est.lossTrace), [1, 2, 3, 2, 2, 2]);
});

test('a diverged chain is kept out of the mean, std and online traces', () => {
  const losses = [Float32Array.of(1, 1), Float32Array.of(NaN, NaN), Float32Array.of(3, 3)];
  const est = estimateLlc(losses, new Set([1]), 0, 1);
  assert.deepEqual(est.llcPerChain, [1, null, 3]);
  assert.equal(est.llcMean, 2);
  assert.equal(est.llcStd, Math.SQRT2);
  assert.deepEqual(Array.from(est.llcMeanTrace), [2, 2]);
  const alone = estimateLlc([Float32Array.of(1)], new Set(), 0, 1);
  assert.equal(alone.llcStd, null, 'one chain has no sample std');
  assert.equal(estimateLlc([Float32Array.of(NaN)], new Set([0]), 0, 1).llcMean, null);
});

test('sample std uses n − 1; default nβ = m / ln m', () => {
  assert.deepEqual(meanStd([1, 2, 3, 4]), { mean: 2.5, std: Math.sqrt(5 / 3) });
  assert.ok(Math.abs(defaultNbeta(256) - 46.16624130844683) < 1e-12);
  assert.equal(defaultNbeta(1), 1);
});
