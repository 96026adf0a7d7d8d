import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pcg32, keyedPcg32 } from '../pipeline/lib/util/prng.ts';

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

test('keyed streams: PCG32\'s seed–stream collision, and keyedPcg32 free of it', () => {
  // Pcg32(s, t + 1) and Pcg32(s + 2, t) begin alike: why streams named by several varying
  // numbers go through keyedPcg32.
  assert.equal(new Pcg32(0, 4).nextU32(), new Pcg32(2, 3).nextU32());
  // Every (seed, chain) of 64 seeds × 32 chains starts its own way, and so does a second part.
  const firsts = new Set<number>();
  for (let seed = 0n; seed < 64n; seed++) for (let chain = 0n; chain < 32n; chain++) firsts.add(keyedPcg32(seed, 0n, 0n, chain).nextU32());
  assert.ok(firsts.size >= 64 * 32 - 2, `${64 * 32 - firsts.size} first outputs repeat`);
  assert.notEqual(keyedPcg32(0n, 1n).nextU32(), keyedPcg32(1n, 0n).nextU32());
});
