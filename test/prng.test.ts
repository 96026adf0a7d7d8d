import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pcg32 } from '../pipeline/lib/util/prng.ts';

test('PCG32 reproduces the reference pcg32-demo outputs (seed 42, stream 54)', () => {
  const r = new Pcg32(42, 54);
  const got = Array.from({ length: 6 }, () => r.nextU32());
  assert.deepEqual(got, [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e]);
});

test('below() is in range and roughly uniform', () => {
  const r = new Pcg32(1);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[r.below(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 400, `count ${c} far from 10000`);
  assert.throws(() => r.below(0), /bound must be an integer/);
});

test('permutation() is a permutation, seeded, and differs across seeds', () => {
  const a = new Pcg32(7).permutation(100);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(new Pcg32(7).permutation(100), a);
  assert.notDeepEqual(new Pcg32(8).permutation(100), a);
});

test('shuffle() puts every element everywhere with equal frequency', () => {
  const r = new Pcg32(3);
  const firstPos = new Array(4).fill(0);
  for (let i = 0; i < 40000; i++) {
    const a = [0, 1, 2, 3];
    r.shuffle(a);
    firstPos[a[0]!]++;
  }
  for (const c of firstPos) assert.ok(Math.abs(c - 10000) < 400, `count ${c}`);
});
