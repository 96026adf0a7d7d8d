import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pcg32 } from '../pipeline/lib/util/prng.ts';
import { X_TOKEN, drawSequence, fractionTargets, generateDataset } from '../stages/generate/dataset.ts';

test('the target at position i is the fraction of x in positions 0..i', () => {
  const x = X_TOKEN;
  assert.deepEqual(fractionTargets([x, 0, x, x, 5]), [1, 1 / 2, 2 / 3, 3 / 4, 3 / 5]);
  assert.deepEqual(fractionTargets([1, 2]), [0, 0]);
});

test('sequences hold 0..seq_len/2 copies of x and otherwise non-x letters', () => {
  const r = new Pcg32(0);
  const seen = new Set<number>();
  for (let i = 0; i < 3000; i++) {
    const s = drawSequence(r, 10);
    assert.equal(s.length, 10);
    const nx = s.filter((t) => t === X_TOKEN).length;
    assert.ok(nx >= 0 && nx <= 5);
    seen.add(nx);
    for (const t of s) assert.ok(t >= 0 && t < 26);
  }
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5]);
});

test('x positions are shuffled uniformly (x is as likely first as last)', () => {
  const r = new Pcg32(11);
  let first = 0;
  let last = 0;
  for (let i = 0; i < 20000; i++) {
    const s = drawSequence(r, 10);
    if (s[0] === X_TOKEN) first++;
    if (s[9] === X_TOKEN) last++;
  }
  assert.ok(Math.abs(first - last) < 0.05 * (first + last), `${first} vs ${last}`);
});

test('the split takes floor(train_frac·n) for train and the rest for test, disjoint', () => {
  const d = generateDataset({ seed: 0, nSamples: 2000, seqLen: 10, trainFrac: 0.3 });
  assert.equal(d.train.n, 600);
  assert.equal(d.test.n, 1400);
  const d2 = generateDataset({ seed: 0, nSamples: 7, seqLen: 4, trainFrac: 0.5 });
  assert.equal(d2.train.n, 3);
  assert.equal(d2.test.n, 4);
  // every target row agrees with its tokens
  for (let i = 0; i < d.test.n; i++) {
    const row = Array.from(d.test.tokens.subarray(i * 10, i * 10 + 10));
    assert.deepEqual(Array.from(d.test.targets.subarray(i * 10, i * 10 + 10)), Array.from(Float32Array.from(fractionTargets(row))));
  }
});

test('same seed gives the same data; another seed different data', () => {
  const a = generateDataset({ seed: 5, nSamples: 100, seqLen: 10, trainFrac: 0.3 });
  const b = generateDataset({ seed: 5, nSamples: 100, seqLen: 10, trainFrac: 0.3 });
  const c = generateDataset({ seed: 6, nSamples: 100, seqLen: 10, trainFrac: 0.3 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.train.tokens, c.train.tokens);
});
