import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Adam } from '../stages/train/adam.ts';
import { initialWeights } from '../stages/train/init.ts';
import { SEED_MODEL_CONFIG, seedParameters } from '../pipeline/lib/model/config.ts';

for (const decoupled of [false, true]) {
  const name = decoupled ? 'AdamW (decoupled weight decay) matches a hand computation of torch.optim.AdamW' : 'Adam with coupled L2 matches a hand computation of torch.optim.Adam';
  test(name, async () => {
    await tf.setBackend('cpu');
    const opts = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled };
    const w = tf.variable(tf.tensor1d([0.5, -1.0]));
    const adam = new Adam(opts, { w });
    // Two steps with fixed gradients, computed by hand in float64 as PyTorch's code does:
    // Adam adds λw to the gradient; AdamW shrinks w by (1 − lr·λ) and leaves the gradient.
    const grads = [[0.2, -0.3], [-0.1, 0.4]];
    let ref = [0.5, -1.0];
    let m = [0, 0];
    let v = [0, 0];
    for (let t = 1; t <= 2; t++) {
      const gr = grads[t - 1]!;
      const g = decoupled ? gr : gr.map((x, i) => x + 0.1 * ref[i]!);
      m = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]!);
      v = v.map((vi, i) => 0.999 * vi + 0.001 * g[i]! ** 2);
      const bc1 = 1 - 0.9 ** t;
      const bc2 = 1 - 0.999 ** t;
      const shrunk = decoupled ? ref.map((wi) => wi * (1 - 0.01 * 0.1)) : ref;
      ref = shrunk.map((wi, i) => wi - (0.01 / bc1) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + 1e-8)));
      tf.tidy(() => adam.apply({ w }, { w: tf.tensor1d(gr) }));
    }
    const got = Array.from(w.dataSync());
    got.forEach((x, i) => assert.ok(Math.abs(x - ref[i]!) < 1e-6, `w[${i}] = ${x}, expected ${ref[i]}`));
    assert.equal(adam.state.step, 2);
    const snap = adam.snapshot();
    const restored = new Adam(opts, { w }, snap);
    Array.from(restored.state.m.w!.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - m[i]!) < 1e-7, `m[${i}] = ${x}, expected ${m[i]}`));
    assert.throws(() => new Adam(opts, { w, u: tf.variable(tf.zeros([1])) }, snap), /no m moment for parameter "u"/);
    adam.dispose();
    restored.dispose();
  });
}

test('initialisation: xavier-normal gain 2 for matrices, PyTorch defaults for vectors', () => {
  const params = seedParameters(SEED_MODEL_CONFIG);
  const w = initialWeights(params, 0);
  const stats = (a: Float32Array) => {
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const std = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / (a.length - 1));
    return { mean, std };
  };
  const inProj = stats(w['layers.0.self_attn.in_proj_weight']!);
  const expected = 2 * Math.sqrt(2 / (64 + 192));
  assert.ok(Math.abs(inProj.std - expected) / expected < 0.03, `in_proj std ${inProj.std} vs ${expected}`);
  assert.ok(Math.abs(inProj.mean) < 0.01);
  const emb = stats(w['embedding.weight']!);
  const embExpected = 2 * Math.sqrt(2 / (64 + 26));
  assert.ok(Math.abs(emb.std - embExpected) / embExpected < 0.06, `embedding std ${emb.std} vs ${embExpected}`);
  assert.ok(w['layers.1.norm2.weight']!.every((x) => x === 1));
  assert.ok(w['layers.0.norm1.bias']!.every((x) => x === 0));
  assert.ok(w['layers.0.self_attn.in_proj_bias']!.every((x) => x === 0));
  assert.ok(w['layers.0.self_attn.out_proj.bias']!.every((x) => x === 0));
  const b1 = w['layers.0.linear1.bias']!;
  assert.ok(b1.every((x) => Math.abs(x) <= 1 / Math.sqrt(64)) && b1.some((x) => Math.abs(x) > 0.05));
  const b2 = w['layers.0.linear2.bias']!;
  assert.ok(b2.every((x) => Math.abs(x) <= 1 / Math.sqrt(48)));
  assert.ok(Math.abs(w['fc.bias']![0]!) <= 1 / 8);
  assert.deepEqual(initialWeights(params, 0), w);
  assert.notDeepEqual(initialWeights(params, 1)['fc.weight'], w['fc.weight']);
});

test('initialisation: train.init_gain scales every matrix and embedding, not the vectors; a bad gain is refused', () => {
  const params = seedParameters(SEED_MODEL_CONFIG);
  const two = initialWeights(params, 0);
  const eight = initialWeights(params, 0, 8);
  for (const p of params) {
    const scale = p.shape.length >= 2 ? 4 : 1;
    eight[p.name]!.forEach((x, i) => assert.ok(Math.abs(x - scale * two[p.name]![i]!) <= 1e-6 * Math.abs(x), `${p.name}[${i}]: ${x} vs ${scale}×${two[p.name]![i]}`));
  }
  assert.throws(() => initialWeights(params, 0, 0), /xavier gain must be a positive number, got 0/);
});
