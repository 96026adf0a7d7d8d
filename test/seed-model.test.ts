// The seed model builder: PyTorch's parameter names and shapes, PyTorch's predictions in
// onnxruntime, and the chain axis (C chains in one graph = C separate graphs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SEED_MODEL_CONFIG, parameterCount, seedParameters } from '../pipeline/lib/model/config.ts';
import { buildSeedModel, seedForward } from '../pipeline/lib/model/seed-model.ts';
import { GraphBuilder, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { DataType, OPSET, type Model, type TensorValue } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { decodeSafetensors, requireTensor } from '../pipeline/lib/util/safetensors.ts';
import { MaskRng } from '../pipeline/lib/tfjs/rng.ts';
import { FIXTURE } from './helpers/fixture.ts';

const cfg = SEED_MODEL_CONFIG;

function load(name: string) {
  const path = `${FIXTURE}/${name}.safetensors`;
  return { path, tensors: decodeSafetensors(readFileSync(path), path).tensors };
}
const stateDict = load('weights');
const weights = Object.fromEntries(Object.entries(stateDict.tensors).map(([k, v]) => [k, v.data as Float32Array]));
const predictions = load('predictions');
const x = requireTensor(predictions.tensors, 'x', predictions.path, 'I64');
const pred = requireTensor(predictions.tensors, 'pred', predictions.path, 'F32').data as Float32Array;
const tokens = (rows: number, from = 0): TensorValue => tensor.int64([rows, cfg.seqLen], (x.data as BigInt64Array).subarray(from * cfg.seqLen, (from + rows) * cfg.seqLen));

async function run(model: Model, feeds: Record<string, TensorValue>): Promise<Float32Array> {
  const out = await runSession(await createSession(model), feeds);
  return out['pred']!.data as Float32Array;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('parameters: PyTorch state_dict names, order and shapes', () => {
  const expected = Object.entries(stateDict.tensors).map(([name, t]) => ({ name, shape: t.shape }));
  assert.deepEqual(seedParameters(cfg), expected);
  assert.equal(parameterCount(seedParameters(cfg)), 48_673);
});

test('eval graph: opset 17, standard ops, tokens → pred, initializers as the state_dict, dropout off', () => {
  const model = buildSeedModel(cfg, { training: false, weights });
  const g = model.graph;
  assert.deepEqual(model.opsetImports, [{ domain: '', version: OPSET }]);
  assert.equal(OPSET, 17);
  assert.deepEqual(g.inputs, [{ name: 'tokens', elemType: DataType.INT64, shape: ['batch', 10] }]);
  assert.deepEqual(g.outputs, [{ name: 'pred', elemType: DataType.FLOAT, shape: ['batch', 10] }]);
  assert.deepEqual(g.initializers.map((i) => ({ name: i.name, shape: i.dims })), seedParameters(cfg));
  for (const init of g.initializers) assert.deepEqual(init.data, weights[init.name]);
  assert.ok(g.nodes.every((n) => !n.domain));
  const dropouts = g.nodes.filter((n) => n.opType === 'Dropout');
  assert.equal(dropouts.length, 4 * cfg.layers);
  const constants = new Map(g.nodes.filter((n) => n.opType === 'Constant').map((n) => [n.outputs[0], n.attributes.value]));
  for (const d of dropouts) {
    assert.deepEqual(constants.get(d.inputs[1]!), { kind: 'tensor', value: tensor.float32([], [0.1]) });
    assert.deepEqual(constants.get(d.inputs[2]!), { kind: 'tensor', value: tensor.bool([], [false]) });
  }
  const train = buildSeedModel(cfg, { training: true }).graph;
  const trainMode = train.nodes.find((n) => n.opType === 'Constant' && n.outputs[0] === train.nodes.find((d) => d.opType === 'Dropout')!.inputs[2]);
  assert.deepEqual(trainMode!.attributes.value, { kind: 'tensor', value: tensor.bool([], [true]) });
  // Without values the initializers are zero placeholders of the right shapes.
  assert.ok(train.initializers.every((i) => (i.data as Float32Array).every((v) => v === 0)));
});

test('eval graph with the PyTorch weights reproduces PyTorch in onnxruntime (≤ 1e-5)', async () => {
  const got = await run(buildSeedModel(cfg, { training: false, weights }), { tokens: tokens(64) });
  assert.ok(maxDiff(got, pred) <= 1e-5, `max diff ${maxDiff(got, pred)}`);
});

test('training graph runs in onnxruntime with dropout active (graph optimisations off)', async () => {
  // Random weights of a trained network's size: the fixture's are so small (RMS ≈ 0.003)
  // that its output barely depends on the hidden activations dropout acts on.
  const rng = new MaskRng(3);
  const random = Object.fromEntries(seedParameters(cfg).map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => (rng.nextUint32() / 2 ** 31 - 1) * 0.2)]));
  const feeds = { tokens: tokens(64) };
  const evalPred = await run(buildSeedModel(cfg, { training: false, weights: random }), feeds);
  // onnxruntime's optimiser deletes Dropout nodes whatever their training_mode (seen with
  // 1.29; cf. onnx/onnx#3753), so dropout only happens with optimisations disabled.
  const session = await createSession(buildSeedModel(cfg, { training: true, weights: random }), { graphOptimizationLevel: 'disabled' });
  const trainPred = (await runSession(session, feeds))['pred']!.data as Float32Array;
  assert.ok(trainPred.every((v) => v >= 0 && v <= 1));
  assert.ok(maxDiff(trainPred, evalPred) > 1e-3, `dropout changed predictions by only ${maxDiff(trainPred, evalPred)}`);
});

// Three chains with weights scaled differently, each on its own 16 sequences.
const SCALES = [1, 0.5, 1.5];
const B = 16;
const scaled = (s: number) => Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, v.map((w) => w * s)]));
const chainTokens = tensor.int64([SCALES.length, B, cfg.seqLen], (x.data as BigInt64Array).subarray(0, SCALES.length * B * cfg.seqLen));

async function separateRuns(): Promise<Float32Array[]> {
  return Promise.all(SCALES.map((s, c) => run(buildSeedModel(cfg, { training: false, weights: scaled(s) }), { tokens: tokens(B, c * B) })));
}

test('chained graph (C = 3, weights as inputs) equals three separate graphs in onnxruntime', async () => {
  const model = buildSeedModel(cfg, { training: false, chains: SCALES.length });
  const params = seedParameters(cfg);
  assert.deepEqual(model.graph.inputs.map((i) => i.name), ['tokens', ...params.map((p) => p.name)]);
  assert.deepEqual(model.graph.outputs[0]!.shape, [3, 'batch', 10]);
  const feeds: Record<string, TensorValue> = { tokens: chainTokens };
  for (const p of params) {
    const data = new Float32Array(SCALES.length * weights[p.name]!.length);
    SCALES.forEach((s, c) => data.set(scaled(s)[p.name]!, c * weights[p.name]!.length));
    feeds[p.name] = tensor.float32([SCALES.length, ...p.shape], data);
  }
  const chained = await run(model, feeds);
  const separate = await separateRuns();
  assert.ok(maxDiff(chained.subarray(0, B * cfg.seqLen), pred.subarray(0, B * cfg.seqLen)) <= 1e-5);
  separate.forEach((want, c) => {
    const d = maxDiff(chained.subarray(c * want.length, (c + 1) * want.length), want);
    assert.ok(d <= 1e-5, `chain ${c}: max diff ${d}`);
  });
});

test('seedForward with a caller-made weight source: chains cut from one flat [C, P] input', async () => {
  // What the SGLD sampler does: every weight is a Split + Reshape of one parameter vector.
  const C = SCALES.length;
  const params = seedParameters(cfg);
  const P = parameterCount(params);
  const g = new GraphBuilder('flat');
  const theta = g.input('theta', DataType.FLOAT, [C, P]);
  const input = g.input('tokens', DataType.INT64, [C, 'batch', cfg.seqLen]);
  const sizes = params.map((p) => p.shape.reduce((a, b) => a * b, 1));
  const parts = g.node('Split', [theta, g.ints(sizes)], { axis: { kind: 'int', value: 1 } }, { outputs: params.length });
  const byName = new Map(params.map((p, i) => [p.name, parts[i]!]));
  const out = seedForward(g, cfg, input, {
    training: false,
    chains: C,
    weight: (name, shape) => g.op('Reshape', [byName.get(name)!, g.ints([C, ...shape])]),
  });
  g.output(out, DataType.FLOAT);
  const flat = new Float32Array(C * P);
  SCALES.forEach((s, c) => {
    let at = c * P;
    for (const p of params) {
      flat.set(scaled(s)[p.name]!, at);
      at += weights[p.name]!.length;
    }
  });
  const result = await runSession(await createSession(modelOf(g.build())), { theta: tensor.float32([C, P], flat), tokens: chainTokens });
  const chained = result[out]!.data as Float32Array;
  const separate = await separateRuns();
  separate.forEach((want, c) => assert.ok(maxDiff(chained.subarray(c * want.length, (c + 1) * want.length), want) <= 1e-5, `chain ${c}`));
});

test('builder errors name the problem', () => {
  assert.throws(() => buildSeedModel(cfg, { training: false, weights: { 'fc.weight': new Float32Array(3) } }), /"fc.weight" has 3 values, expected shape \[1,64\]/);
  assert.throws(() => buildSeedModel(cfg, { training: false, weights: { 'fc.wieght': new Float32Array(64) } }), /no parameters named fc.wieght/);
  assert.throws(() => buildSeedModel(cfg, { training: false, chains: 0 }), /chains must be a positive integer/);
  assert.throws(() => buildSeedModel(cfg, { training: false, chains: 2, weights }), /apply only to an unchained graph/);
  assert.throws(() => buildSeedModel({ ...cfg, heads: 5 }, { training: false }), /dModel 64 is not divisible by heads 5/);
});
