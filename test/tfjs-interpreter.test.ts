// The tfjs interpreter on the whole seed model: PyTorch's predictions on cpu and wasm, the
// chained graph, seeded dropout, flat memory, and gradients checked by finite differences.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { SEED_MODEL_CONFIG, seedParameters } from '../pipeline/lib/model/config.ts';
import { buildSeedModel } from '../pipeline/lib/model/seed-model.ts';
import { GraphBuilder, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { DataType, type TensorValue } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { decodeSafetensors, requireTensor } from '../pipeline/lib/util/safetensors.ts';
import { initBackend, type BackendName } from '../pipeline/lib/tfjs/backend.ts';
import { toTf } from '../pipeline/lib/tfjs/convert.ts';
import { TfjsInterpreter } from '../pipeline/lib/tfjs/interpreter.ts';
import { MaskRng } from '../pipeline/lib/tfjs/rng.ts';
import { FIXTURE } from './helpers/fixture.ts';

const cfg = SEED_MODEL_CONFIG;
const BACKENDS: BackendName[] = ['cpu', 'wasm'];

function load(name: string) {
  const path = `${FIXTURE}/${name}.safetensors`;
  return { path, tensors: decodeSafetensors(readFileSync(path), path).tensors };
}
const stateDict = load('weights').tensors;
const weights = Object.fromEntries(Object.entries(stateDict).map(([k, v]) => [k, v.data as Float32Array]));
const predictions = load('predictions');
const xValue = requireTensor(predictions.tensors, 'x', predictions.path, 'I64');
const x: TensorValue = { dataType: DataType.INT64, dims: xValue.shape, data: xValue.data };
const pred = requireTensor(predictions.tensors, 'pred', predictions.path, 'F32').data as Float32Array;
const train = load('train');
const trainX = requireTensor(train.tensors, 'x', train.path, 'I64');
const trainY = requireTensor(train.tensors, 'y', train.path, 'F32');

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function variables(values: Record<string, Float32Array> = weights): Record<string, tf.Variable> {
  return Object.fromEntries(seedParameters(cfg).map((p) => [p.name, tf.variable(tf.tensor(values[p.name]!, p.shape))]));
}

/** Weights ~ U(±0.3) (LayerNorm scales 1 ± 0.3): the size of a trained network, where every
 * part of the model moves the output. The fixture's (RMS ≈ 0.003) barely use attention. */
function randomWeights(): Record<string, Float32Array> {
  const rng = new MaskRng(11);
  return Object.fromEntries(seedParameters(cfg).map((p) => {
    const base = p.name.includes('norm') && p.name.endsWith('weight') ? 1 : 0;
    return [p.name, Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => base + 0.3 * (rng.nextUint32() / 2 ** 31 - 1))];
  }));
}

test('initBackend reports the backend it set, and fails loudly for one it cannot', async () => {
  assert.deepEqual(await initBackend('cpu'), { name: 'cpu', version: tf.version_core });
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(await initBackend('wasm'), { name: 'wasm', version: tf.version_core });
  assert.equal(tf.getBackend(), 'wasm');
  // tfjs-node is an optional dependency that cannot install here; where it can, it wins.
  const hasNode = await import('@tensorflow/tfjs-node' as string).then(() => true, () => false);
  if (!hasNode) {
    await assert.rejects(initBackend('tensorflow'), /no tfjs backend could start \(tensorflow\):\n {2}tensorflow: /);
    assert.equal((await initBackend('auto')).name, 'wasm');
  }
  await assert.rejects(initBackend('gpu' as BackendName), /unknown tfjs backend "gpu"/);
});

for (const backend of BACKENDS) {
  test(`${backend}: PyTorch predictions from the eval graph, weights as initializers or as variables (≤ 1e-5)`, async () => {
    await initBackend(backend);
    const tokens = toTf(x);
    const withInitializers = new TfjsInterpreter(buildSeedModel(cfg, { training: false, weights }));
    const a = withInitializers.run({ tokens }).pred!;
    assert.deepEqual(a.shape, [64, 10]);
    assert.ok(maxDiff(a.dataSync(), pred) <= 1e-5, `max diff ${maxDiff(a.dataSync(), pred)}`);
    const vars = variables();
    const placeholders = new TfjsInterpreter(buildSeedModel(cfg, { training: false }));
    const b = placeholders.run({ tokens }, vars).pred!;
    assert.ok(maxDiff(b.dataSync(), pred) <= 1e-5);
    tf.dispose([tokens, a, b, ...Object.values(vars)]);
    withInitializers.dispose();
    placeholders.dispose();
  });
}

test('wasm: the chained graph (C = 3) gives what onnxruntime gives', async () => {
  await initBackend('wasm');
  const C = 3;
  const model = buildSeedModel(cfg, { training: false, chains: C });
  const feeds: Record<string, TensorValue> = { tokens: tensor.int64([C, 20, cfg.seqLen], (x.data as BigInt64Array).subarray(0, C * 20 * cfg.seqLen)) };
  for (const p of seedParameters(cfg)) {
    const w = weights[p.name]!;
    const data = new Float32Array(C * w.length);
    for (let c = 0; c < C; c++) data.set(w.map((v) => v * (1 + c / 2)), c * w.length);
    feeds[p.name] = tensor.float32([C, ...p.shape], data);
  }
  const want = (await runSession(await createSession(model), feeds))['pred']!;
  const interp = new TfjsInterpreter(model);
  const tfFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toTf(v)]));
  const got = interp.run(tfFeeds).pred!;
  assert.deepEqual(got.shape, want.dims);
  assert.ok(maxDiff(got.dataSync(), want.data as Float32Array) <= 1e-5);
  tf.dispose([got, ...Object.values(tfFeeds)]);
  interp.dispose();
});

function dropoutGraph(ratio: number) {
  const g = new GraphBuilder('dropout');
  const input = g.input('x', DataType.FLOAT, [400, 250]);
  g.output(g.op('Dropout', [input, g.scalar(ratio), g.constant(tensor.bool([], [true]))], {}, { outputs: ['y'] }), DataType.FLOAT);
  return modelOf(g.build());
}

test('training-mode dropout zeroes ≈ p of the values, scales the rest by 1/(1−p), and is reproducible from the seed', async () => {
  await initBackend('wasm');
  const p = 0.1;
  const ones = tf.ones([400, 250]);
  const interp = new TfjsInterpreter(dropoutGraph(p), { seed: 5 });
  const first = interp.run({ x: ones }).y!.dataSync();
  const second = interp.run({ x: ones }).y!.dataSync();
  const zeros = first.filter((v) => v === 0).length / first.length;
  assert.ok(Math.abs(zeros - p) < 0.005, `zeroed fraction ${zeros}`);
  assert.ok(first.every((v) => v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-6));
  assert.notDeepEqual(first, second, 'successive runs draw new masks');
  // A fresh interpreter with the same seed repeats the stream; a per-run seed restarts it.
  const again = new TfjsInterpreter(dropoutGraph(p), { seed: 5 });
  assert.deepEqual(again.run({ x: ones }).y!.dataSync(), first);
  assert.deepEqual(again.run({ x: ones }, {}, { seed: 5 }).y!.dataSync(), first);
  assert.notDeepEqual(again.run({ x: ones }, {}, { seed: 6 }).y!.dataSync(), first);
  tf.disposeVariables();
});

test('seed model in training mode: dropout changes the predictions, the same seed repeats them', async () => {
  await initBackend('wasm');
  const vars = variables(randomWeights());
  const tokens = toTf(x);
  const run = (seed: number) => interp.run({ tokens }, vars, { seed }).pred!.dataSync();
  const interp = new TfjsInterpreter(buildSeedModel(cfg, { training: true }));
  const evalPred = new TfjsInterpreter(buildSeedModel(cfg, { training: false })).run({ tokens }, vars).pred!.dataSync();
  assert.ok(maxDiff(run(1), evalPred) > 1e-3);
  assert.deepEqual(run(1), run(1));
  assert.notDeepEqual(run(1), run(2));
  tf.disposeVariables();
});

/** MSE of the graph's prediction on the first `rows` training rows. */
function mse(interp: TfjsInterpreter, vars: Record<string, tf.Tensor>, rows: number, seed?: number): tf.Scalar {
  return tf.tidy(() => {
    const tokens = tf.tensor(Int32Array.from((trainX.data as BigInt64Array).subarray(0, rows * cfg.seqLen), Number), [rows, cfg.seqLen], 'int32');
    const y = tf.tensor((trainY.data as Float32Array).subarray(0, rows * cfg.seqLen), [rows, cfg.seqLen]);
    return tf.mean(tf.square(tf.sub(interp.run({ tokens }, vars, seed === undefined ? {} : { seed }).pred!, y))) as tf.Scalar;
  });
}

test('memory stays flat over many runs and training steps', async () => {
  await initBackend('wasm');
  const vars = variables();
  const trainGraph = new TfjsInterpreter(buildSeedModel(cfg, { training: true }));
  const evalGraph = new TfjsInterpreter(buildSeedModel(cfg, { training: false }));
  const step = (seed: number) => {
    const { value, grads } = tf.variableGrads(() => mse(trainGraph, vars, 64, seed));
    tf.dispose([value, ...Object.values(grads)]);
    mse(evalGraph, vars, 64).dispose();
  };
  step(0);
  const before = tf.memory().numTensors;
  for (let s = 1; s <= 30; s++) step(s);
  assert.equal(tf.memory().numTensors, before);
  trainGraph.dispose();
  evalGraph.dispose();
  tf.disposeVariables();
});

test('gradients through the interpreter: finite, equal on cpu and wasm, and match finite differences', async () => {
  const rows = 64;
  const model = buildSeedModel(cfg, { training: false });
  const values = randomWeights();
  const gradsOn = async (backend: BackendName) => {
    await initBackend(backend);
    const interp = new TfjsInterpreter(model);
    const vars = variables(values);
    const { value, grads } = tf.variableGrads(() => mse(interp, vars, rows));
    const out = Object.fromEntries(seedParameters(cfg).map((p) => [p.name, grads[vars[p.name]!.name]!.dataSync().slice()]));
    tf.dispose([value, ...Object.values(grads)]);
    tf.disposeVariables();
    return { grads: out, interp };
  };
  const wasm = (await gradsOn('wasm')).grads;
  const { grads: cpu, interp } = await gradsOn('cpu');
  for (const p of seedParameters(cfg)) {
    const g = cpu[p.name]!;
    assert.ok(g.every(Number.isFinite), `${p.name}: non-finite gradient`);
    const size = Math.max(...g.map(Math.abs));
    assert.ok(maxDiff(g, wasm[p.name]!) <= 1e-4 * size + 1e-7, `${p.name}: cpu and wasm gradients differ by ${maxDiff(g, wasm[p.name]!)} (size ${size})`);
  }

  // Central differences (loss summed in float64 from float32 predictions) on weights of every
  // kind of op. h is small because ReLU kinks make larger steps inaccurate (≈ 20% at 1e-2).
  const probes: Array<[string, number]> = [
    ['embedding.weight', 23 * 64 + 5],
    ['pos_embedding.weight', 3 * 64 + 7],
    ['layers.0.self_attn.in_proj_weight', 20], // q
    ['layers.0.self_attn.in_proj_weight', 130 * 64 + 3], // v
    ['layers.0.self_attn.out_proj.weight', 77],
    ['layers.0.norm1.weight', 12],
    ['layers.0.linear1.weight', 100],
    ['layers.1.linear2.weight', 5 * 48 + 9],
    ['fc.bias', 0],
  ];
  const h = 1e-3;
  const lossAt = (name: string, index: number, delta: number) =>
    tf.tidy(() => {
      const vars = Object.fromEntries(seedParameters(cfg).map((p) => {
        const w = values[p.name]!.slice();
        if (p.name === name) w[index]! += delta;
        return [p.name, tf.tensor(w, p.shape)];
      }));
      const tokens = tf.tensor(Int32Array.from((trainX.data as BigInt64Array).subarray(0, rows * cfg.seqLen), Number), [rows, cfg.seqLen], 'int32');
      const predicted = interp.run({ tokens }, vars).pred!.dataSync();
      const y = trainY.data as Float32Array;
      let sum = 0;
      for (let i = 0; i < predicted.length; i++) sum += (predicted[i]! - y[i]!) ** 2;
      return sum / predicted.length;
    });
  for (const [name, index] of probes) {
    const numeric = (lossAt(name, index, h) - lossAt(name, index, -h)) / (2 * h);
    const analytic = cpu[name]![index]!;
    assert.ok(Math.abs(analytic) > 1e-5, `${name}[${index}]: gradient ${analytic} too small to test`);
    assert.ok(Math.abs(numeric - analytic) <= 1e-2 * Math.abs(analytic) + 1e-6, `${name}[${index}]: finite difference ${numeric}, gradient ${analytic}`);
  }
  interp.dispose();
});

test('an output that passes a feed through is a copy: disposing it keeps the feed', async () => {
  await initBackend('cpu');
  const g = new GraphBuilder('pass');
  const input = g.input('x', DataType.FLOAT, [3]);
  g.output(g.op('Dropout', [input], {}, { outputs: ['y'] }), DataType.FLOAT);
  const feed = tf.tensor([1, 2, 3]);
  const { y } = new TfjsInterpreter(modelOf(g.build())).run({ x: feed });
  y!.dispose();
  assert.deepEqual(Array.from(feed.dataSync()), [1, 2, 3]);
});

test('interpreter errors name what is wrong', async () => {
  await initBackend('cpu');
  const interp = new TfjsInterpreter(buildSeedModel(cfg, { training: false }));
  const tokens = tf.zeros([2, cfg.seqLen], 'int32');
  assert.throws(() => interp.run({}), /missing graph input "tokens"/);
  assert.throws(() => interp.run({ tokens, extra: tokens }), /"extra" is not a graph input/);
  assert.throws(() => interp.run({ tokens: tf.zeros([2, cfg.seqLen]) }), /graph input "tokens" is float32, expected int32/);
  assert.throws(() => interp.run({ tokens: tf.zeros([2, 9], 'int32') }), /graph input "tokens" has shape \[2,9\], expected \[batch,10\]/);
  assert.throws(() => interp.run({ tokens }, { 'fc.wieght': tf.zeros([1, 64]) }), /weight "fc.wieght" is not an initializer/);
  assert.throws(() => interp.run({ tokens }, { 'fc.weight': tf.zeros([64, 1]) }), /weight "fc.weight" has shape \[64,1\], expected \[1,64\]/);
  const g = new GraphBuilder('broken');
  g.output(g.op('Relu', ['nowhere'], {}, { name: 'r' }), DataType.FLOAT);
  assert.throws(() => new TfjsInterpreter(modelOf(g.build())), /Relu node "r" reads "nowhere", which no earlier node, input or initializer provides/);
});
