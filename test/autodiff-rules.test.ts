// The gradient rules of the core op set against central finite differences (see
// helpers/grad-check.ts), and the engine's own behaviour: missing rules, opsets, names,
// Loop bodies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inferFacts } from '../pipeline/lib/onnx/infer/facts.ts';
import { addGradients, addModelGradients, opCoverage } from '../pipeline/lib/autodiff/grad.ts';
import { GraphBuilder, attr, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { DataType, type Graph } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { type Case, f, i64, makeTensor, rand, testCases } from './helpers/grad-check.ts';

const CASES: Case[] = [
  // Elementwise arithmetic, with broadcasting on either side.
  { name: 'Add broadcast', inputs: { a: f([2, 3, 4]), b: f([3, 1]) }, y: ({ b, x }) => b.op('Add', [x.a!, x.b!]) },
  { name: 'Add scalar', inputs: { a: f([]), b: f([2, 3]) }, y: ({ b, x }) => b.op('Add', [x.a!, x.b!]) },
  { name: 'Sub both broadcast', inputs: { a: f([3, 1]), b: f([2, 1, 4]) }, y: ({ b, x }) => b.op('Sub', [x.a!, x.b!]) },
  { name: 'Mul broadcast', inputs: { a: f([2, 3, 4]), b: f([4]) }, y: ({ b, x }) => b.op('Mul', [x.a!, x.b!]) },
  { name: 'Mul of a value by itself', inputs: { a: f([2, 3]) }, y: ({ b, x }) => b.op('Mul', [x.a!, x.a!]) },
  { name: 'Div broadcast', inputs: { a: f([2, 3]), b: f([2, 1], { positive: true }) }, y: ({ b, x }) => b.op('Div', [x.a!, x.b!]) },
  { name: 'Neg', inputs: { a: f([3, 2]) }, y: ({ b, x }) => b.op('Neg', [x.a!]) },
  { name: 'Pow float exponent', inputs: { a: f([2, 3], { positive: true }), p: f([3]) }, y: ({ b, x }) => b.op('Pow', [x.a!, x.p!]) },
  { name: 'Pow integer exponent', inputs: { a: f([2, 3]), p: i64([], [3]) }, y: ({ b, x }) => b.op('Pow', [x.a!, x.p!]) },
  { name: 'Sum of three', inputs: { a: f([2, 3]), b: f([3]), c: f([2, 1]) }, y: ({ b, x }) => b.op('Sum', [x.a!, x.b!, x.c!]) },
  {
    name: 'Where',
    inputs: { cond: { dims: [2, 3], kind: 'bool', values: [1, 0, 1, 0, 0, 1] }, a: f([2, 3]), b: f([3]) },
    y: ({ b, x }) => b.op('Where', [x.cond!, x.a!, x.b!]),
  },
  // Unary functions.
  { name: 'Exp', inputs: { a: f([2, 3]) }, y: ({ b, x }) => b.op('Exp', [x.a!]) },
  { name: 'Log', inputs: { a: f([2, 3], { positive: true }) }, y: ({ b, x }) => b.op('Log', [x.a!]) },
  { name: 'Reciprocal', inputs: { a: f([2, 3], { positive: true }) }, y: ({ b, x }) => b.op('Reciprocal', [x.a!]) },
  { name: 'Sqrt', inputs: { a: f([2, 3], { positive: true }) }, y: ({ b, x }) => b.op('Sqrt', [x.a!]) },
  { name: 'Tanh', inputs: { a: f([2, 3]) }, y: ({ b, x }) => b.op('Tanh', [x.a!]) },
  { name: 'Sigmoid', inputs: { a: f([2, 3]) }, y: ({ b, x }) => b.op('Sigmoid', [x.a!]) },
  { name: 'Relu', inputs: { a: f([2, 3], { values: [-0.7, 0.3, 0.9, -0.2, 0.5, -1.1] }) }, y: ({ b, x }) => b.op('Relu', [x.a!]) },
  // Matrix products.
  { name: 'MatMul 2-D', inputs: { a: f([2, 3]), b: f([3, 4]) }, y: ({ b, x }) => b.op('MatMul', [x.a!, x.b!]) },
  { name: 'MatMul batched', inputs: { a: f([2, 3, 4]), b: f([2, 4, 5]) }, y: ({ b, x }) => b.op('MatMul', [x.a!, x.b!]) },
  { name: 'MatMul 2-D a, batched b', inputs: { a: f([3, 4]), b: f([2, 4, 5]) }, y: ({ b, x }) => b.op('MatMul', [x.a!, x.b!]) },
  { name: 'MatMul broadcast batch', inputs: { a: f([2, 1, 3, 4]), b: f([3, 4, 2]) }, y: ({ b, x }) => b.op('MatMul', [x.a!, x.b!]) },
  { name: 'MatMul linear layer', inputs: { a: f([2, 3, 2, 4]), b: f([4, 5]) }, y: ({ b, x }) => b.op('MatMul', [x.a!, x.b!]) },
  { name: 'MatMul 1-D a', inputs: { a: f([4]), b: f([4, 3]) }, y: ({ b, x }) => b.op('MatMul', [x.a!, x.b!]) },
  { name: 'MatMul 1-D a, batched b', inputs: { a: f([4]), b: f([2, 4, 3]) }, y: ({ b, x }) => b.op('MatMul', [x.a!, x.b!]) },
  { name: 'MatMul 1-D b', inputs: { a: f([2, 3, 4]), b: f([4]) }, y: ({ b, x }) => b.op('MatMul', [x.a!, x.b!]) },
  { name: 'MatMul 1-D both', inputs: { a: f([4]), b: f([4]) }, y: ({ b, x }) => b.op('MatMul', [x.a!, x.b!]) },
  ...[0, 1].flatMap((ta) =>
    [0, 1].map((tb): Case => ({
      name: `Gemm transA=${ta} transB=${tb}, alpha, beta, broadcast C`,
      inputs: { a: f(ta ? [3, 2] : [2, 3]), b: f(tb ? [4, 3] : [3, 4]), c: f([4]) },
      y: ({ b, x }) => b.op('Gemm', [x.a!, x.b!, x.c!], { transA: attr.int(ta), transB: attr.int(tb), alpha: attr.float(0.7), beta: attr.float(1.3) }),
    })),
  ),
  { name: 'Gemm column C', inputs: { a: f([2, 3]), b: f([3, 4]), c: f([2, 1]) }, y: ({ b, x }) => b.op('Gemm', [x.a!, x.b!, x.c!]) },
  { name: 'Gemm without C', inputs: { a: f([2, 3]), b: f([4, 3]) }, y: ({ b, x }) => b.op('Gemm', [x.a!, x.b!], { transB: attr.int(1) }) },
  // Indexing.
  {
    name: 'Gather axis 0, repeated and negative indices',
    inputs: { data: f([5, 3]), idx: i64([2, 4], [0, 2, 2, -1, 4, 0, 1, 2]) },
    y: ({ b, x }) => b.op('Gather', [x.data!, x.idx!]),
  },
  { name: 'Gather axis 1', inputs: { data: f([2, 5, 3]), idx: i64([4], [4, 1, 1, 0]) }, y: ({ b, x }) => b.op('Gather', [x.data!, x.idx!], { axis: attr.int(1) }) },
  {
    name: 'Gather axis -1, 2-D indices',
    inputs: { data: f([3, 4]), idx: i64([2, 2], [1, 1, 3, 0]) },
    y: ({ b, x }) => b.op('Gather', [x.data!, x.idx!], { axis: attr.int(-1) }),
  },
  { name: 'Gather scalar index', inputs: { data: f([4, 3]), idx: i64([], [2]) }, y: ({ b, x }) => b.op('Gather', [x.data!, x.idx!]) },
  {
    name: 'Slice static bounds (pad)',
    inputs: { a: f([4, 6, 3]) },
    y: ({ b, x }) => b.op('Slice', [x.a!, b.ints([1, -5]), b.ints([3, 100]), b.ints([0, 1])]),
  },
  {
    name: 'Slices partitioning an axis (packed q/k/v: one Concat)',
    inputs: { a: f([2, 3, 6]) },
    y: ({ b, x }) => {
      const part = (from: number, to: number): string => b.op('Slice', [x.a!, b.ints([from]), b.ints([to]), b.ints([-1])]);
      return b.op('Sum', [b.op('Mul', [part(0, 2), part(2, 4)]), part(4, 6)]);
    },
  },
  {
    name: 'Slices overlapping on an axis',
    inputs: { a: f([2, 6]) },
    y: ({ b, x }) => {
      const part = (from: number, to: number): string => b.op('Slice', [x.a!, b.ints([from]), b.ints([to]), b.ints([1])]);
      return b.op('Concat', [part(0, 4), b.op('Exp', [part(3, 6)])], { axis: attr.int(1) });
    },
  },
  {
    name: 'Slice with steps, negative step and clamping',
    inputs: { a: f([4, 6, 3]) },
    y: ({ b, x }) => b.op('Slice', [x.a!, b.ints([-1, 0, 5]), b.ints([-100, 3, 1]), b.ints([0, 2, 1]), b.ints([-2, 2, -3])]),
  },
  {
    name: 'Slice with bounds known only at runtime',
    inputs: { a: f([4, 6]), at: i64([1], [2]) },
    y: ({ b, x }) => b.op('Slice', [x.a!, x.at!, b.ints([5]), b.ints([1])]),
  },
  {
    name: 'Slices of equal dims by the same runtime bound',
    inputs: { a: f([4, 6]), b: f([4, 6]), at: i64([1], [4]) },
    y: ({ b, x }) => {
      const part = (v: string): string => b.op('Slice', [v, b.ints([1]), x.at!, b.ints([1])]);
      return b.op('Mul', [part(x.a!), part(x.b!)]);
    },
  },
  {
    name: 'Split, both parts used',
    inputs: { a: f([2, 6]) },
    y: ({ b, x }) => {
      const [p, q] = b.node('Split', [x.a!, b.ints([3, 3])], { axis: attr.int(1) }, { outputs: 2 });
      return b.op('Mul', [p!, q!]);
    },
  },
  {
    name: 'Split, one part unused',
    inputs: { a: f([5, 2]) },
    y: ({ b, x }) => b.node('Split', [x.a!, b.ints([2, 3])], { axis: attr.int(0) }, { outputs: 2 })[1]!,
  },
  { name: 'Concat', inputs: { a: f([2, 3]), b: f([2, 1]), c: f([2, 2]) }, y: ({ b, x }) => b.op('Concat', [x.a!, x.b!, x.c!], { axis: attr.int(-1) }) },
  // Shape changes.
  { name: 'Reshape with -1', inputs: { a: f([2, 3, 4]) }, y: ({ b, x }) => b.op('Reshape', [x.a!, b.ints([4, -1])]) },
  {
    name: 'Reshape folding axes with -1 and unfolding them again',
    inputs: { a: f([2, 3, 4]) },
    y: ({ b, x }) => {
      const dims = b.op('Shape', [x.a!]);
      const dim = (i: number): string => b.op('Gather', [dims, b.ints([i])]);
      const folded = b.op('Reshape', [x.a!, b.ints([0, -1])]);
      const back = b.op('Reshape', [folded, b.op('Concat', [dim(0), b.ints([-1]), dim(2)], { axis: attr.int(0) })]);
      return b.op('Mul', [back, x.a!]);
    },
  },
  { name: 'Transpose perm', inputs: { a: f([2, 3, 4]) }, y: ({ b, x }) => b.op('Transpose', [x.a!], { perm: attr.ints([2, 0, 1]) }) },
  { name: 'Transpose reversed', inputs: { a: f([2, 3, 4]) }, y: ({ b, x }) => b.op('Transpose', [x.a!]) },
  { name: 'Squeeze', inputs: { a: f([2, 1, 3]) }, y: ({ b, x }) => b.op('Squeeze', [x.a!, b.ints([1])]) },
  { name: 'Unsqueeze', inputs: { a: f([2, 3]) }, y: ({ b, x }) => b.op('Unsqueeze', [x.a!, b.ints([0, -1])]) },
  { name: 'Flatten', inputs: { a: f([2, 3, 2]) }, y: ({ b, x }) => b.op('Flatten', [x.a!], { axis: attr.int(2) }) },
  { name: 'Expand', inputs: { a: f([3, 1]) }, y: ({ b, x }) => b.op('Expand', [x.a!, b.ints([2, 3, 4])]) },
  { name: 'Identity', inputs: { a: f([2, 2]) }, y: ({ b, x }) => b.op('Identity', [x.a!]) },
  { name: 'Trilu upper, k = 1', inputs: { a: f([3, 4]) }, y: ({ b, x }) => b.op('Trilu', [x.a!, b.constant(tensor.int64([], [1]))]) },
  {
    name: 'Cast float to double and back passes, Cast to int stops',
    inputs: { a: f([2, 3], { values: [0.3, 1.6, -2.2, 2.7, -0.6, 1.2] }) },
    y: ({ b, x, type }) => {
      const roundTrip = b.op('Cast', [b.op('Cast', [x.a!], { to: attr.int(DataType.DOUBLE) })], { to: attr.int(type) });
      const truncated = b.op('Cast', [b.op('Cast', [x.a!], { to: attr.int(DataType.INT64) })], { to: attr.int(type) });
      return b.op('Mul', [roundTrip, truncated]);
    },
    float32: true,
  },
  // OneHot (no gradient of its own) feeding a MatMul: the rank and dims of its output.
  {
    name: 'OneHot with constant depth, default axis, into MatMul',
    inputs: { idx: i64([2, 3], [0, 4, 2, 1, -1, 3]), m: f([5, 3]) },
    y: ({ b, x, float }) => b.op('MatMul', [b.op('OneHot', [x.idx!, b.constant(tensor.int64([], [5])), float([0, 1], [2])]), x.m!]),
    // onnxruntime's CPU OneHot has no double output.
    float32: true,
  },
  {
    name: 'OneHot axis 0, depth [5], values [-1, 2], under MatMul',
    inputs: { idx: i64([3], [4, 0, 2]), m: f([2, 5]) },
    y: ({ b, x, float }) => b.op('MatMul', [x.m!, b.op('OneHot', [x.idx!, b.ints([5]), float([-1, 2], [2])], { axis: attr.int(0) })]),
    float32: true,
  },
  // Normalisations.
  { name: 'Softmax last axis', inputs: { a: f([2, 3, 4]) }, y: ({ b, x }) => b.op('Softmax', [x.a!]) },
  { name: 'Softmax axis 1', inputs: { a: f([2, 3, 4]) }, y: ({ b, x }) => b.op('Softmax', [x.a!], { axis: attr.int(1) }) },
  {
    name: 'LayerNormalization last axis',
    inputs: { a: f([2, 3, 4]), scale: f([4]), bias: f([4]) },
    y: ({ b, x }) => b.op('LayerNormalization', [x.a!, x.scale!, x.bias!], { epsilon: attr.float(1e-3) }),
  },
  {
    name: 'LayerNormalization axis 1, unused Mean/InvStdDev outputs, no bias',
    inputs: { a: f([2, 3, 4]), scale: f([3, 4]) },
    y: ({ b, x }) => b.node('LayerNormalization', [x.a!, x.scale!], { axis: attr.int(1) }, { outputs: 3 })[0]!,
  },
  {
    // Statistics stashed in the input's own type (float32): the rule reads the node's
    // Mean/InvStdDev. (onnxruntime has no float64 kernel with float64 statistics.)
    name: 'LayerNormalization in float32, statistics read from its outputs',
    inputs: { a: f([3, 5]), scale: f([5]), bias: f([5]) },
    y: ({ b, x }) => b.op('LayerNormalization', [x.a!, x.scale!, x.bias!]),
    float32: true,
  },
  // Reductions.
  { name: 'ReduceSum axes, keepdims=0', inputs: { a: f([2, 3, 4]) }, y: ({ b, x }) => b.op('ReduceSum', [x.a!, b.ints([-1, 0])], { keepdims: attr.int(0) }) },
  { name: 'ReduceSum all, keepdims=1', inputs: { a: f([2, 3]) }, y: ({ b, x }) => b.op('ReduceSum', [x.a!]) },
  {
    name: 'ReduceSum empty axes, noop',
    inputs: { a: f([2, 3]) },
    y: ({ b, x }) => b.op('ReduceSum', [x.a!, b.ints([])], { noop_with_empty_axes: attr.int(1) }),
  },
  { name: 'ReduceMean axes attribute (opset 17)', inputs: { a: f([2, 3, 4]) }, y: ({ b, x }) => b.op('ReduceMean', [x.a!], { axes: attr.ints([1]), keepdims: attr.int(0) }) },
  { name: 'ReduceMean axes input (opset 18)', inputs: { a: f([2, 3, 4]) }, y: ({ b, x }) => b.op('ReduceMean', [x.a!, b.ints([0, 2])]), opset: 18 },
  { name: 'ReduceProd', inputs: { a: f([2, 3, 4]) }, y: ({ b, x }) => b.op('ReduceProd', [x.a!], { axes: attr.ints([1]), keepdims: attr.int(0) }) },
  {
    name: 'ReduceProd with zeros (none, one, two per group)',
    inputs: { a: f([3, 3], { values: [0.5, -1.5, 2, 0, 1.5, -0.7, 0, 0.9, 0] }) },
    y: ({ b, x }) => b.op('ReduceProd', [x.a!], { axes: attr.ints([1]) }),
  },
  // Dropout in eval mode is the identity.
  { name: 'Dropout without training_mode', inputs: { a: f([2, 3]) }, y: ({ b, x }) => b.op('Dropout', [x.a!]) },
  {
    name: 'Dropout with training_mode false',
    inputs: { a: f([2, 3]), ratio: f([], { constant: true, values: [0.3] }), training: { dims: [], kind: 'bool', values: [0] } },
    y: ({ b, x }) => b.op('Dropout', [x.a!, x.ratio!, x.training!]),
  },
  // Ops that stop the gradient: only the path through x·(…) counts.
  {
    name: 'non-differentiable ops stop the gradient',
    inputs: { a: f([2, 3]) },
    y: ({ b, x, type }) => {
      const positive = b.op('Cast', [b.op('Greater', [x.a!, b.constant(makeTensor(type, [], [0]))])], { to: attr.int(type) });
      const size = b.op('Cast', [b.op('Size', [x.a!])], { to: attr.int(type) });
      const filled = b.op('ConstantOfShape', [b.op('Shape', [x.a!])], { value: attr.tensor(makeTensor(type, [1], [0.25])) });
      const noise = b.op('Mul', [b.op('RandomNormalLike', [x.a!]), b.constant(makeTensor(type, [], [0]))]);
      return b.op('Sum', [b.op('Mul', [x.a!, positive]), b.op('Mul', [x.a!, size]), filled, noise]);
    },
  },
];

testCases(CASES);

test('static facts: OneHot, Slice with a runtime end, Reshape round trips', () => {
  const b = new GraphBuilder('facts');
  const idx = b.input('idx', DataType.INT64, ['n', 3]);
  const depth = b.input('depth', DataType.INT64, []);
  const end = b.input('end', DataType.INT64, [1]);
  const a = b.input('a', DataType.FLOAT, [4, 6, 'k']);
  const c = b.input('c', DataType.FLOAT, [4, 6, 'k']);
  const values = b.constant(tensor.float32([2], [0, 1]));
  const known = b.op('OneHot', [idx, b.constant(tensor.int64([], [7])), values]);
  const middle = b.op('OneHot', [idx, b.ints([7]), values], { axis: attr.int(-2) });
  const first = b.op('OneHot', [idx, depth, values], { axis: attr.int(0) });
  const slice = (v: string): string => b.op('Slice', [v, b.ints([0]), end, b.ints([0])]);
  const [sa, sc] = [slice(a), slice(c)];
  const folded = b.op('Reshape', [sa, b.ints([0, -1])]);
  const back = b.op('Reshape', [folded, b.ints([0, 6, -1])]);
  const facts = inferFacts(b.build(), 17);
  assert.deepEqual(facts.get(known)?.shape, ['n', 3, 7]);
  assert.equal(facts.get(known)?.dtype, DataType.FLOAT);
  assert.deepEqual(facts.get(middle)?.shape, ['n', 7, 3]);
  const f0 = facts.get(first)!.shape!;
  assert.equal(f0.length, 3);
  assert.equal(typeof f0[0], 'string');
  assert.deepEqual(f0.slice(1), ['n', 3]);
  // The unsliced axes keep their dims; equal dims sliced by the same runtime end are equal.
  const s = facts.get(sa)!.shape!;
  assert.deepEqual(s.slice(1), [6, 'k']);
  assert.equal(typeof s[0], 'string');
  assert.deepEqual(facts.get(sc)?.shape, s);
  assert.equal(facts.get(folded)!.shape![0], s[0]);
  assert.deepEqual(facts.get(back)?.shape, s);
});

test('gradient rule: Dropout in training mode uses the mask', { timeout: 60_000 }, async () => {
  const b = new GraphBuilder('dropout');
  const a = b.input('a', DataType.DOUBLE, [50]);
  const w = b.input('w', DataType.DOUBLE, [50]);
  const training = b.constant(tensor.bool([], [1]));
  const ratio = b.constant(tensor.float64([], [0.4]));
  const [y, mask] = b.node('Dropout', [a, ratio, training], { seed: attr.int(7) }, { outputs: 2 });
  b.op('ReduceSum', [b.op('Mul', [y!, w])], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const graph: Graph = { ...b.build(), outputs: [{ name: 'loss', elemType: DataType.DOUBLE }, { name: mask!, elemType: DataType.BOOL }] };
  const { model, gradients } = addModelGradients(modelOf(graph), 'loss', [a]);
  const session = await createSession(model);
  const wv = Array.from({ length: 50 }, () => 2 * rand() - 1);
  const out = await runSession(session, { a: tensor.float64([50], Array.from({ length: 50 }, rand)), w: tensor.float64([50], wv) });
  const m = out[mask!]!.data as Uint8Array;
  assert.ok(m.some((v) => v === 0) && m.some((v) => v === 1), 'the mask should drop some elements and keep others');
  const g = out[gradients[a]!]!.data as Float64Array;
  wv.forEach((wi, i) => assert.ok(Math.abs(g[i]! - (m[i] ? wi / 0.6 : 0)) < 1e-12, `element ${i}: ${g[i]} vs ${m[i] ? wi / 0.6 : 0}`));
});

test('ops on the path without a rule fail together, each named with its nodes', () => {
  const b = new GraphBuilder('norule');
  const a = b.input('a', DataType.FLOAT, [3, 3]);
  const d1 = b.op('Det', [a], {}, { name: 'det_1' });
  const d2 = b.op('Det', [b.op('Neg', [a])], {}, { name: 'det_2' });
  const h = b.op('Hardmax', [a], {}, { name: 'the_hardmax' });
  const sum = b.op('Sum', [d1, d2, b.op('ReduceSum', [h], { keepdims: attr.int(0) })]);
  b.op('ReduceSum', [sum], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const graph = { ...b.build(), outputs: [{ name: 'loss', elemType: DataType.FLOAT }] };
  assert.throws(
    () => addModelGradients(modelOf(graph), 'loss', [a]),
    /no gradient rule for op types Det \(node "det_1", "det_2"\); Hardmax \(node "the_hardmax"\)$/,
  );
  const coverage = opCoverage(graph, 17, 'loss', [a]);
  assert.deepEqual(
    coverage.map((c) => `${c.op}×${c.count}:${c.status}`),
    ['Det×2:missing', 'Hardmax×1:missing', 'Neg×1:rule', 'ReduceSum×2:rule', 'Sum×1:rule'],
  );
  // Control flow whose branches read a directly (not as an input) is on the path too.
  const branch = (op: string): Graph => {
    const g = new GraphBuilder(op, `${op}/`);
    return { ...g.build(), nodes: g.nodes, outputs: [{ name: g.op(op, [a]), elemType: DataType.FLOAT }] };
  };
  const d = new GraphBuilder('branches');
  d.input('a', DataType.FLOAT, [3]);
  const flag = d.input('flag', DataType.BOOL, []);
  const chosen = d.op('If', [flag], { then_branch: attr.graph(branch('Neg')), else_branch: attr.graph(branch('Exp')) }, { name: 'the_if' });
  d.op('ReduceSum', [chosen], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const ifGraph = { ...d.build(), outputs: [{ name: 'loss', elemType: DataType.FLOAT }] };
  assert.throws(() => addModelGradients(modelOf(ifGraph), 'loss', [a]), /no gradient rule for op type If \(node "the_if"\)/);
  // The same op off the path (its input does not depend on a) is fine.
  const c = new GraphBuilder('offpath');
  const p = c.input('p', DataType.FLOAT, [3]);
  const q = c.input('q', DataType.FLOAT, [3]);
  c.op('ReduceSum', [c.op('Mul', [p, c.op('Hardmax', [q])])], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const offPath = { ...c.build(), outputs: [{ name: 'loss', elemType: DataType.FLOAT }] };
  assert.doesNotThrow(() => addModelGradients(modelOf(offPath), 'loss', [p]));
  assert.equal(opCoverage(offPath, 17, 'loss', [p]).find((o) => o.op === 'Hardmax')?.status, 'off-path');
});

test('models older than opset 13 are refused (axes are attributes there)', () => {
  const b = new GraphBuilder('old');
  const a = b.input('a', DataType.FLOAT, [3]);
  b.op('ReduceSum', [a], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const model = modelOf({ ...b.build(), outputs: [{ name: 'loss', elemType: DataType.FLOAT }] });
  model.opsetImports = [{ domain: '', version: 12 }];
  assert.throws(() => addModelGradients(model, 'loss', [a]), /opset 12 is not supported/);
});

test('added names never clash, and a wrt value the loss ignores gets zeros', async () => {
  const b = new GraphBuilder('names');
  const a = b.input('a', DataType.DOUBLE, [2]);
  const unused = b.input('unused', DataType.DOUBLE, [3]);
  // Values and nodes that look like the gradient graph's own names.
  const taken = b.op('Mul', [a, a], {}, { outputs: ['grad/a'], name: 'grad/Mul' });
  b.op('ReduceSum', [taken], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const graph = { ...b.build(), outputs: [{ name: 'loss', elemType: DataType.DOUBLE }] };
  const { model, gradients } = addModelGradients(modelOf(graph), 'loss', [a, unused]);
  assert.notEqual(gradients.a, 'grad/a');
  const session = await createSession(model); // io.ts's checks reject a value defined twice
  const out = await runSession(session, { a: tensor.float64([2], [1.5, -2]), unused: tensor.float64([3], [1, 2, 3]) });
  assert.deepEqual(Array.from(out[gradients.a!]!.data as Float64Array), [3, -4]);
  assert.deepEqual(Array.from(out[gradients.unused!]!.data as Float64Array), [0, 0, 0]);
});

test('a gradient graph runs as a Loop body: gradient descent on a quadratic', { timeout: 60_000 }, async () => {
  // Body: (iter, cond, w) -> (cond, w - 0.1·∇‖w - t‖²), with t read from the outer scope.
  const body = new GraphBuilder('body', 'body/');
  body.input('iter', DataType.INT64, []);
  const cond = body.input('cond_in', DataType.BOOL, []);
  const w = body.input('w', DataType.DOUBLE, [3]);
  const d = body.op('Sub', [w, 't']);
  body.op('ReduceSum', [body.op('Mul', [d, d])], { keepdims: attr.int(0) }, { outputs: ['body/loss'] });
  const bodyGraph = body.build();
  const { graph: withGrad, gradients } = addGradients(bodyGraph, 'body/loss', [w], {
    opset: 17,
    prefix: 'body/grad/',
    outerScope: [{ name: 't', elemType: DataType.DOUBLE, shape: [3] }],
  });
  const step = new GraphBuilder('step', 'body/step/');
  const next = step.op('Sub', [w, step.op('Mul', [gradients[w]!, step.constant(tensor.float64([], [0.1]))])]);
  const condOut = step.op('Identity', [cond]);
  const loopBody: Graph = {
    ...withGrad,
    nodes: [...withGrad.nodes, ...step.nodes],
    outputs: [{ name: condOut, elemType: DataType.BOOL }, { name: next, elemType: DataType.DOUBLE }],
  };
  const outer = new GraphBuilder('outer');
  outer.input('t', DataType.DOUBLE, [3]);
  outer.input('w0', DataType.DOUBLE, [3]);
  const trip = outer.constant(tensor.int64([], [5]));
  const yes = outer.constant(tensor.bool([], [1]));
  const final = outer.op('Loop', [trip, yes, 'w0'], { body: attr.graph(loopBody) });
  const model = modelOf({ ...outer.build(), outputs: [{ name: final, elemType: DataType.DOUBLE }] });
  const session = await createSession(model);
  const t = [1, -2, 0.5];
  const out = await runSession(session, { t: tensor.float64([3], t), w0: tensor.float64([3], [0, 0, 0]) });
  // Each step: w ← w - 0.2(w - t), so w_5 = t(1 - 0.8⁵).
  Array.from(out[final]!.data as Float64Array).forEach((v, i) => assert.ok(Math.abs(v - t[i]! * (1 - 0.8 ** 5)) < 1e-12));
});
