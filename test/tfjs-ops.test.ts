// Each tfjs op unit against onnxruntime on random inputs (one-node graphs), on the cpu and
// wasm backends; and the hand-written gradients against tfjs' own on the cpu backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, attr, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { DataType, type AttrValue, type TensorValue } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { initBackend, type BackendName } from '../pipeline/lib/tfjs/backend.ts';
import { toTf } from '../pipeline/lib/tfjs/convert.ts';
import { TfjsInterpreter } from '../pipeline/lib/tfjs/interpreter.ts';
import { MaskRng } from '../pipeline/lib/tfjs/rng.ts';
import { supportedOpTypes } from '../pipeline/lib/tfjs/registry.ts';

const BACKENDS: BackendName[] = ['cpu', 'wasm'];
const rng = new MaskRng(7);
const uniform = (dims: number[], lo = -1, hi = 1) =>
  tensor.float32(dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => lo + ((hi - lo) * rng.nextUint32()) / 2 ** 32));

/** An operand: fed at run time (random data), or a Constant node (shapes, axes, sizes). */
type Operand = { feed: TensorValue } | { constant: TensorValue } | { omitted: true };

interface Case {
  name: string;
  opType: string;
  operands: Operand[];
  attrs?: Record<string, AttrValue>;
  /** Element types of the outputs (default one float output). */
  outputs?: DataType[];
}

function oneNodeModel(c: Case) {
  const g = new GraphBuilder(`test_${c.opType}`);
  const feeds: Record<string, TensorValue> = {};
  const inputs = c.operands.map((o, i) => {
    if ('omitted' in o) return '';
    if ('constant' in o) return g.constant(o.constant);
    feeds[`in${i}`] = o.feed;
    return g.input(`in${i}`, o.feed.dataType, o.feed.dims);
  });
  const types = c.outputs ?? [DataType.FLOAT];
  const outputs = g.node(c.opType, inputs, c.attrs ?? {}, { outputs: types.map((_, k) => `out${k}`) });
  outputs.forEach((name, k) => g.output(name, types[k]!));
  return { model: modelOf(g.build()), feeds };
}

const f = (dims: number[]): Operand => ({ feed: uniform(dims) });
const ints = (values: number[]): Operand => ({ constant: tensor.int64([values.length], values) });

const CASES: Case[] = [
  { name: 'Add, same shape', opType: 'Add', operands: [f([2, 3, 4]), f([2, 3, 4])] },
  { name: 'Add, bias on the right', opType: 'Add', operands: [f([4, 8, 6]), f([6])] },
  { name: 'Add, table on the left', opType: 'Add', operands: [f([3, 4]), f([2, 3, 4])] },
  { name: 'Add, two-sided broadcast', opType: 'Add', operands: [f([3, 1]), f([1, 4])] },
  { name: 'Mul, scalar', opType: 'Mul', operands: [f([2, 3, 4]), { constant: tensor.float32([], [0.25]) }] },
  { name: 'Mul, broadcast', opType: 'Mul', operands: [f([2, 3, 4]), f([3, 1])] },
  // Tall operands (96 rows here, 32 and 24 in the Add and LayerNormalization cases) so the
  // gradients' grouped transposes (wasm-friendly.ts) take part.
  { name: 'MatMul, 3-D @ 2-D', opType: 'MatMul', operands: [f([4, 24, 5]), f([5, 3])] },
  { name: 'MatMul, equal batch', opType: 'MatMul', operands: [f([2, 3, 4, 5]), f([2, 3, 5, 6])] },
  { name: 'MatMul, chain-style [C,B,T,D] @ [C,1,D,F]', opType: 'MatMul', operands: [f([3, 2, 4, 5]), f([3, 1, 5, 6])] },
  { name: 'MatMul, 2-D @ batched', opType: 'MatMul', operands: [f([4, 5]), f([2, 5, 6])] },
  { name: 'MatMul, two-sided batch broadcast', opType: 'MatMul', operands: [f([2, 1, 4, 5]), f([1, 3, 5, 6])] },
  { name: 'Transpose, perm', opType: 'Transpose', operands: [f([2, 3, 4, 5])], attrs: { perm: attr.ints([0, 2, 1, 3]) } },
  { name: 'Transpose, default reverses', opType: 'Transpose', operands: [f([2, 3, 4])] },
  { name: 'Reshape, 0 copies and -1', opType: 'Reshape', operands: [f([2, 3, 8]), ints([0, 0, 2, -1])] },
  { name: 'Squeeze, axis -1', opType: 'Squeeze', operands: [f([2, 3, 1]), ints([-1])] },
  { name: 'Squeeze, all size-1 axes', opType: 'Squeeze', operands: [f([1, 3, 1])] },
  { name: 'Unsqueeze, two axes', opType: 'Unsqueeze', operands: [f([2, 3]), ints([1, 2])] },
  { name: 'Unsqueeze, negative axis', opType: 'Unsqueeze', operands: [f([2, 3]), ints([-1])] },
  { name: 'Split, sizes on axis 1', opType: 'Split', operands: [f([2, 9, 3]), ints([2, 3, 4])], attrs: { axis: attr.int(1) }, outputs: [DataType.FLOAT, DataType.FLOAT, DataType.FLOAT] },
  { name: 'Split, equal parts', opType: 'Split', operands: [f([6, 2])], outputs: [DataType.FLOAT, DataType.FLOAT, DataType.FLOAT] },
  { name: 'Gather, float table (embedding)', opType: 'Gather', operands: [f([7, 5]), { feed: tensor.int64([3, 4], [0, 6, 2, -1, 3, 3, 1, 5, 4, 0, -7, 2]) }] },
  { name: 'Gather, axis 1', opType: 'Gather', operands: [f([3, 7, 2]), { feed: tensor.int64([2], [4, -2]) }], attrs: { axis: attr.int(1) } },
  { name: 'OneHot, values [0,1]', opType: 'OneHot', operands: [{ feed: tensor.int64([2, 3], [0, 4, 2, 1, -1, 3]) }, { constant: tensor.int64([], [5]) }, { constant: tensor.float32([2], [0, 1]) }], attrs: { axis: attr.int(-1) } },
  { name: 'OneHot, values [-1,2]', opType: 'OneHot', operands: [{ feed: tensor.int64([4], [0, 4, 2, 1]) }, { constant: tensor.int64([1], [5]) }, { constant: tensor.float32([2], [-1, 2]) }] },
  { name: 'Softmax, last axis', opType: 'Softmax', operands: [{ feed: uniform([2, 3, 6], -4, 4) }], attrs: { axis: attr.int(-1) } },
  { name: 'Softmax, inner axis', opType: 'Softmax', operands: [{ feed: uniform([2, 5, 3], -4, 4) }], attrs: { axis: attr.int(1) } },
  { name: 'LayerNormalization, last axis', opType: 'LayerNormalization', operands: [f([4, 6, 8]), f([8]), f([8])], attrs: { axis: attr.int(-1), epsilon: attr.float(1e-5) } },
  { name: 'LayerNormalization, two axes, no bias', opType: 'LayerNormalization', operands: [f([4, 3, 5]), f([3, 5])], attrs: { axis: attr.int(-2), epsilon: attr.float(1e-3) } },
  { name: 'Relu', opType: 'Relu', operands: [f([3, 7])] },
  { name: 'Sigmoid', opType: 'Sigmoid', operands: [{ feed: uniform([3, 7], -6, 6) }] },
  { name: 'Dropout, training off', opType: 'Dropout', operands: [f([4, 5]), { constant: tensor.float32([], [0.3]) }, { constant: tensor.bool([], [false]) }] },
  { name: 'Dropout, no training_mode input', opType: 'Dropout', operands: [f([4, 5]), { constant: tensor.float32([], [0.3]) }] },
  { name: 'Constant', opType: 'Constant', operands: [], attrs: { value: attr.tensor(tensor.float32([2, 2], [1, -2, 3.5, 0])) } },
];

test('every registered op type has an onnxruntime comparison', () => {
  assert.deepEqual([...new Set(CASES.map((c) => c.opType))].sort(), supportedOpTypes());
});

for (const c of CASES) {
  test(`${c.name}: interpreter equals onnxruntime on ${BACKENDS.join(' and ')}`, async () => {
    const { model, feeds } = oneNodeModel(c);
    const expected = await runSession(await createSession(model), feeds);
    for (const backend of BACKENDS) {
      await initBackend(backend);
      const interp = new TfjsInterpreter(model);
      const tfFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toTf(v)]));
      const got = interp.run(tfFeeds);
      for (const [name, want] of Object.entries(expected)) {
        const t = got[name]!;
        assert.deepEqual(t.shape, want.dims, `${backend} ${name} shape`);
        const a = t.dataSync();
        const b = want.data as Float32Array;
        for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-5, `${backend} ${name}[${i}]: ${a[i]} vs ${b[i]}`);
      }
      tf.dispose([...Object.values(got), ...Object.values(tfFeeds)]);
      interp.dispose();
    }
  });
}

test('an unsupported op type is named with its node', async () => {
  await initBackend('cpu');
  const g = new GraphBuilder('bad');
  const x = g.input('x', DataType.FLOAT, [2]);
  g.output(g.op('Erf', [x], {}, { name: 'my_erf' }), DataType.FLOAT);
  assert.throws(() => new TfjsInterpreter(modelOf(g.build())), /unsupported op type Erf \(Erf node "my_erf"\)/);
});

test('Gather refuses indices out of range (the one-hot path would give zero rows)', async () => {
  await initBackend('wasm');
  const { model } = oneNodeModel({ name: 'g', opType: 'Gather', operands: [f([7, 5]), { feed: tensor.int64([2], [0, 7]) }] });
  const table = tf.zeros([7, 5]);
  const indices = tf.tensor([0, 7], [2], 'int32');
  assert.throws(() => new TfjsInterpreter(model).run({ in0: table, in1: indices }), /Gather node "Gather": indices span \[0, 7\], outside \[-7, 6\]/);
});

// Gradients: the units with hand-written gradients (custom grads shaped for wasm) against
// tfjs' built-in gradients of the plain ops, computed on the cpu backend.
interface GradCase {
  name: string;
  c: Case;
  reference: (...xs: tf.Tensor[]) => tf.Tensor;
}

const GRAD_CASES: GradCase[] = [
  { name: 'MatMul 2-D fold', c: CASES.find((c) => c.name === 'MatMul, 3-D @ 2-D')!, reference: (a, b) => tf.matMul(a!, tf.broadcastTo(b!, [4, 5, 3])) },
  { name: 'MatMul equal batch', c: CASES.find((c) => c.name === 'MatMul, equal batch')!, reference: (a, b) => tf.matMul(a!, b!) },
  { name: 'MatMul chain-style', c: CASES.find((c) => c.name.startsWith('MatMul, chain-style'))!, reference: (a, b) => tf.matMul(a!, tf.broadcastTo(b!, [3, 2, 5, 6])) },
  { name: 'MatMul broadcast fallback', c: CASES.find((c) => c.name === 'MatMul, two-sided batch broadcast')!, reference: (a, b) => tf.matMul(tf.broadcastTo(a!, [2, 3, 4, 5]), tf.broadcastTo(b!, [2, 3, 5, 6])) },
  { name: 'Add bias', c: CASES.find((c) => c.name === 'Add, bias on the right')!, reference: (a, b) => tf.add(a!, b!) },
  { name: 'Add table', c: CASES.find((c) => c.name === 'Add, table on the left')!, reference: (a, b) => tf.add(a!, b!) },
  {
    name: 'LayerNormalization',
    c: CASES.find((c) => c.name === 'LayerNormalization, last axis')!,
    reference: (x, s, b) => {
      const { mean, variance } = tf.moments(x!, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x!, mean), tf.sqrt(tf.add(variance, 1e-5))), s!), b!);
    },
  },
  {
    name: 'Gather embedding (table gradient)',
    c: { name: 'gather', opType: 'Gather', operands: [f([7, 5]), { constant: tensor.int64([3, 4], [0, 6, 2, 1, 3, 3, 1, 5, 4, 0, 0, 2]) }] },
    reference: (table) => tf.gather(table!, tf.tensor([0, 6, 2, 1, 3, 3, 1, 5, 4, 0, 0, 2], [3, 4], 'int32')),
  },
];

for (const { name, c, reference } of GRAD_CASES) {
  test(`${name}: gradient equals tfjs' own on ${BACKENDS.join(' and ')}`, async () => {
    const { model, feeds } = oneNodeModel(c);
    const names = Object.keys(feeds);
    // The same R on every backend: drawn from its own fixed stream.
    const weightOf = (out: tf.Tensor) => {
      const stream = new MaskRng(99);
      return tf.tensor(Float32Array.from({ length: out.size }, () => stream.nextUint32() / 2 ** 32 - 0.5), out.shape);
    };
    // loss = Σ out · R for a fixed random R, so every output element matters.
    const gradients = (fn: (...xs: tf.Tensor[]) => tf.Tensor) => {
      const xs = names.map((n) => toTf(feeds[n]!));
      const r = tf.tidy(() => weightOf(fn(...xs)));
      const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(fn(...ys), r)))(xs);
      const arrays = grads.map((g) => g.dataSync().slice());
      tf.dispose([...xs, r, ...grads]);
      return arrays;
    };
    await initBackend('cpu');
    const want = gradients(reference);
    for (const backend of BACKENDS) {
      await initBackend(backend);
      const interp = new TfjsInterpreter(model);
      const got = gradients((...xs) => interp.run(Object.fromEntries(names.map((n, i) => [n, xs[i]!]))).out0!);
      got.forEach((g, k) => {
        for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i]! - want[k]![i]!) <= 1e-5, `${backend} d${names[k]}[${i}]: ${g[i]} vs ${want[k]![i]}`);
      });
      interp.dispose();
    }
  });
}
