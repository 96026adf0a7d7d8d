// The minibatch stream: devinterp's cycle over a shuffled DataLoader (256, 256, 88 for 600
// rows, a fresh permutation every pass) and its fixed-shape form as graph inputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pcg32 } from '../pipeline/lib/util/prng.ts';
import { ShuffledLoader, batchTensors, batchesPerPass, drawBatches } from '../pipeline/lib/sgld/loader.ts';

test('600 rows in batches of 256 cycle as 256, 256, 88, each pass a permutation', () => {
  const loader = new ShuffledLoader(600, 256, new Pcg32(1, 7));
  assert.equal(batchesPerPass(600, 256), 3);
  const passes: number[][] = [];
  for (let p = 0; p < 3; p++) {
    const batches = [loader.next(), loader.next(), loader.next()];
    assert.deepEqual(batches.map((b) => b.length), [256, 256, 88]);
    const rows = batches.flat();
    assert.deepEqual([...rows].sort((a, b) => a - b), Array.from({ length: 600 }, (_, i) => i));
    passes.push(rows);
  }
  assert.notDeepEqual(passes[0], passes[1], 'every pass is reshuffled');
  assert.notDeepEqual(passes[1], passes[2]);
});

test('a loader is reproducible from its stream, and streams differ', () => {
  const a = new ShuffledLoader(50, 16, new Pcg32(3, 1));
  const b = new ShuffledLoader(50, 16, new Pcg32(3, 1));
  const c = new ShuffledLoader(50, 16, new Pcg32(3, 2));
  const first = [a.next(), a.next()];
  assert.deepEqual([b.next(), b.next()], first);
  assert.notDeepEqual([c.next(), c.next()], first);
});

test('a batch larger than the dataset is the whole (shuffled) dataset every step', () => {
  const loader = new ShuffledLoader(5, 256, new Pcg32(0, 0));
  for (let i = 0; i < 3; i++) assert.deepEqual([...loader.next()].sort(), [0, 1, 2, 3, 4]);
});

test('batch tensors pad partial batches with zero-weight rows; weights average the MSE', () => {
  const t = batchTensors([[[4, 2], [1]], [[0, 3], [2, 2]]], 2, 10);
  assert.deepEqual(t.dims, [2, 2, 2]);
  assert.deepEqual(Array.from(t.indices, Number), [4, 2, 1, 0, 0, 3, 2, 2]);
  assert.deepEqual(Array.from(t.weights), [0.05, 0.05, 0.1, 0, 0.05, 0.05, 0.05, 0.05].map(Math.fround));
  assert.deepEqual(Array.from(t.widths, Number), [2, 2], 'a step computes its longest batch');
  const short = batchTensors([[[1, 2, 3], [4, 5, 6]], [[7], [8]]], 3, 1);
  assert.deepEqual(Array.from(short.widths, Number), [3, 1], 'a pass\'s short last batch is short in every stream');
});

test('drawBatches takes the next batches of every loader, step by step', () => {
  const mk = () => [new ShuffledLoader(10, 4, new Pcg32(9, 0)), new ShuffledLoader(10, 4, new Pcg32(9, 1))];
  const loaders = mk();
  const t = drawBatches(loaders, 4, 1);
  const again = mk();
  const expected = Array.from({ length: 4 }, () => again.map((l) => l.next()));
  assert.deepEqual(t.dims, [4, 2, 4]);
  for (let k = 0; k < 4; k++) {
    for (let c = 0; c < 2; c++) {
      const rows = expected[k]![c]!;
      const base = (k * 2 + c) * 4;
      assert.deepEqual(Array.from(t.indices.subarray(base, base + rows.length), Number), rows);
      assert.equal(t.weights[base], Math.fround(1 / rows.length));
    }
  }
  assert.throws(() => drawBatches([new ShuffledLoader(10, 4, new Pcg32(0)), new ShuffledLoader(10, 5, new Pcg32(0))], 1, 1), /one batch width/);
});
