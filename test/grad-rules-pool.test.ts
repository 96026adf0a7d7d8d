// The pooling rules (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool) against
// central finite differences (see helpers/grad-check.ts); their static output shapes
// against the shapes onnxruntime actually produces; which element GlobalMaxPool's gradient
// goes to among ties; and the forms the rules refuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addModelGradients } from '../pipeline/lib/autodiff/grad.ts';
import { GraphBuilder, attr, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { inferFacts } from '../pipeline/lib/onnx/infer/facts.ts';
import { DataType, type AttrValue, type Dim } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { type Case, f, rand, testCases } from './helpers/grad-check.ts';

type Attrs = Record<string, AttrValue>;
const ints = attr.ints;
const pool = (op: string, attributes: Attrs): Case['y'] => ({ b, x }) => b.op(op, [x.x!], attributes);

/** Values 0.1 apart in a random order: a max with no near-ties even in float32, where the
 * finite-difference step is 1e-2. */
const distinct = (dims: number[]): Case['inputs'][string] => {
  const n = dims.reduce((p, q) => p * q, 1);
  const values = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return { dims, values };
};

// MaxPool in float64 (onnxruntime's CPU kernel takes doubles); random inputs have no ties.
const MAXPOOL: Case[] = [
  { name: 'MaxPool 1-D, kernel 3, stride 1 (overlapping windows)', inputs: { x: f([2, 3, 7]) }, y: pool('MaxPool', { kernel_shape: ints([3]) }) },
  { name: 'MaxPool 2-D, kernel 2, stride 2', inputs: { x: f([2, 2, 4, 6]) }, y: pool('MaxPool', { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }) },
  {
    name: 'MaxPool 2-D, kernel 3, stride 1, pads 1 (overlapping, padded)',
    inputs: { x: f([1, 2, 4, 5]) },
    y: pool('MaxPool', { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) }),
  },
  {
    name: 'MaxPool 2-D, kernel 3, stride 2, asymmetric pads, ceil_mode',
    inputs: { x: f([1, 2, 6, 5]) },
    y: pool('MaxPool', { kernel_shape: ints([3, 2]), strides: ints([2, 2]), pads: ints([1, 0, 0, 1]), ceil_mode: attr.int(1) }),
  },
  {
    name: 'MaxPool 2-D, auto_pad SAME_UPPER, stride 2',
    inputs: { x: f([1, 2, 5, 6]) },
    y: pool('MaxPool', { kernel_shape: ints([3, 3]), strides: ints([2, 2]), auto_pad: attr.string('SAME_UPPER') }),
  },
  // With dilations onnxruntime pads SAME_* for the undilated kernel, against the spec; sizes
  // where both give the same output shape (else onnxruntime's own shape check rejects the
  // loss graph), but not the same padding (spec: 1 before the 8, onnxruntime: 0).
  {
    name: 'MaxPool 2-D, auto_pad SAME_LOWER, dilations 2, stride 2, ceil_mode',
    inputs: { x: f([1, 2, 8, 6]) },
    y: pool('MaxPool', { kernel_shape: ints([2, 2]), strides: ints([2, 2]), dilations: ints([2, 2]), auto_pad: attr.string('SAME_LOWER'), ceil_mode: attr.int(1) }),
  },
  {
    name: 'MaxPool 2-D, dilations 2, pads 1, stride 1',
    inputs: { x: f([1, 2, 5, 5]) },
    y: pool('MaxPool', { kernel_shape: ints([2, 2]), dilations: ints([2, 2]), pads: ints([1, 1, 1, 1]) }),
  },
  { name: 'MaxPool 2-D, storage_order 1', inputs: { x: f([2, 2, 3, 4]) }, y: pool('MaxPool', { kernel_shape: ints([2, 2]), storage_order: attr.int(1) }) },
  { name: 'MaxPool 3-D, kernel 2, stride 1', inputs: { x: f([1, 2, 3, 3, 4]) }, y: pool('MaxPool', { kernel_shape: ints([2, 2, 2]) }) },
  {
    name: 'MaxPool 3-D, storage_order 1, stride 2, ceil_mode',
    inputs: { x: f([1, 2, 3, 4, 5]) },
    y: pool('MaxPool', { kernel_shape: ints([2, 2, 2]), strides: ints([2, 2, 2]), ceil_mode: attr.int(1), storage_order: attr.int(1) }),
  },
  {
    name: 'MaxPool whose Indices the graph uses too (opset 18)',
    inputs: { x: f([1, 2, 5]) },
    y: ({ b, x }) => {
      const [y, indices] = b.node('MaxPool', [x.x!], { kernel_shape: ints([2]) }, { outputs: 2 });
      return b.op('Add', [y!, b.op('Cast', [indices!], { to: attr.int(DataType.DOUBLE) })]);
    },
    opset: 18,
  },
];

// onnxruntime's CPU AveragePool has no double kernel (nor do Conv and ConvTranspose, which
// the rule emits), so these run in float32. Dilations exist from opset 19.
const avg = (attributes: Attrs): Case['y'] => pool('AveragePool', attributes);
const AVERAGEPOOL: Case[] = [
  ...[0, 1].map((cip): Case => ({
    name: `AveragePool 1-D, kernel 3, stride 1, pads [1, 2], count_include_pad ${cip}`,
    inputs: { x: f([2, 3, 6]) },
    y: avg({ kernel_shape: ints([3]), pads: ints([1, 2]), count_include_pad: attr.int(cip) }),
    float32: true,
  })),
  ...[0, 1].map((cip): Case => ({
    name: `AveragePool 2-D, kernel 3, stride 2, pads 1, ceil_mode, count_include_pad ${cip}`,
    inputs: { x: f([1, 2, 6, 5]) },
    y: avg({ kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), ceil_mode: attr.int(1), count_include_pad: attr.int(cip) }),
    float32: true,
  })),
  {
    name: 'AveragePool 2-D, kernel 2, stride 2 (no overlap)',
    inputs: { x: f([2, 2, 4, 5]) },
    y: avg({ kernel_shape: ints([2, 2]), strides: ints([2, 2]) }),
    float32: true,
  },
  {
    name: 'AveragePool 2-D, auto_pad SAME_UPPER, stride 2, count_include_pad 1',
    inputs: { x: f([1, 2, 5, 6]) },
    y: avg({ kernel_shape: ints([3, 3]), strides: ints([2, 2]), auto_pad: attr.string('SAME_UPPER'), count_include_pad: attr.int(1) }),
    float32: true,
  },
  {
    name: 'AveragePool 2-D, auto_pad SAME_LOWER, kernel [2, 3], stride [1, 2]',
    inputs: { x: f([1, 2, 4, 7]) },
    y: avg({ kernel_shape: ints([2, 3]), strides: ints([1, 2]), auto_pad: attr.string('SAME_LOWER') }),
    float32: true,
  },
  {
    name: 'AveragePool 1-D, auto_pad VALID, ceil_mode (onnxruntime rounds up)',
    inputs: { x: f([1, 2, 7]) },
    y: avg({ kernel_shape: ints([2]), strides: ints([2]), auto_pad: attr.string('VALID'), ceil_mode: attr.int(1) }),
    float32: true,
  },
  ...[0, 1].map((cip): Case => ({
    name: `AveragePool 2-D, kernel [2, 3], dilations 2, pads [1, 1, 1, 0], count_include_pad ${cip} (opset 19)`,
    inputs: { x: f([1, 2, 6, 5]) },
    y: avg({ kernel_shape: ints([2, 3]), dilations: ints([2, 2]), pads: ints([1, 1, 1, 0]), count_include_pad: attr.int(cip) }),
    float32: true,
    opset: 19,
  })),
  // As the MaxPool case: the padding onnxruntime uses (0 before), not the spec's (1).
  {
    name: 'AveragePool 1-D, auto_pad SAME_LOWER, dilations 2, stride 2, ceil_mode (opset 19)',
    inputs: { x: f([1, 2, 8]) },
    y: avg({ kernel_shape: ints([2]), strides: ints([2]), dilations: ints([2]), auto_pad: attr.string('SAME_LOWER'), ceil_mode: attr.int(1), count_include_pad: attr.int(1) }),
    float32: true,
    opset: 19,
  },
  {
    name: 'AveragePool 3-D, kernel 2, stride [2, 1, 2], pads 1, count_include_pad 1',
    inputs: { x: f([1, 2, 3, 3, 4]) },
    y: avg({ kernel_shape: ints([2, 2, 2]), strides: ints([2, 1, 2]), pads: ints([1, 0, 1, 1, 1, 0]), count_include_pad: attr.int(1) }),
    float32: true,
  },
];

// onnxruntime's CPU global pools take float only.
const GLOBAL: Case[] = [
  { name: 'GlobalAveragePool 1-D', inputs: { x: f([2, 3, 5]) }, y: pool('GlobalAveragePool', {}), float32: true },
  { name: 'GlobalAveragePool 2-D', inputs: { x: f([2, 3, 3, 4]) }, y: pool('GlobalAveragePool', {}), float32: true },
  { name: 'GlobalMaxPool 1-D', inputs: { x: distinct([2, 3, 5]) }, y: pool('GlobalMaxPool', {}), float32: true },
  { name: 'GlobalMaxPool 2-D', inputs: { x: distinct([2, 3, 3, 4]) }, y: pool('GlobalMaxPool', {}), float32: true },
];

testCases([...MAXPOOL, ...AVERAGEPOOL, ...GLOBAL]);

/** The output shape static inference gives a one-node pool graph, and the one onnxruntime
 * gives when it runs it. */
async function shapes(op: string, dims: Dim[], run: number[], attributes: Attrs, opset = 19): Promise<{ inferred: Dim[]; actual: number[] }> {
  const b = new GraphBuilder('pool');
  const x = b.input('x', DataType.FLOAT, dims);
  const y = b.op(op, [x], attributes);
  const graph = b.build();
  const inferred = inferFacts(graph, opset).get(y)?.shape;
  assert.ok(inferred, `${op}: no shape inferred`);
  const model = modelOf({ ...graph, outputs: [{ name: y, elemType: DataType.FLOAT }] });
  model.opsetImports = [{ domain: '', version: opset }];
  const session = await createSession(model);
  const n = run.reduce((p, q) => p * q, 1);
  const actual = (await runSession(session, { x: tensor.float32(run, new Array<number>(n).fill(1)) }))[y]!.dims;
  await session.release();
  return { inferred, actual: [...actual] };
}

test('pool output shapes: static inference matches onnxruntime', { timeout: 60_000 }, async () => {
  const same = (mode: string): AttrValue => attr.string(mode);
  const configs: [string, number[], Attrs][] = [
    ['MaxPool', [2, 3, 7], { kernel_shape: ints([3]) }],
    ['MaxPool', [1, 2, 6, 5], { kernel_shape: ints([3, 2]), strides: ints([2, 2]), pads: ints([1, 0, 0, 1]), ceil_mode: attr.int(1) }],
    // ceil_mode drops a last window that would start in the right padding: 2, not 3.
    ['MaxPool', [1, 1, 4], { kernel_shape: ints([3]), strides: ints([2]), pads: ints([0, 2]), ceil_mode: attr.int(1) }],
    ['AveragePool', [1, 1, 5], { kernel_shape: ints([2]), strides: ints([2]), ceil_mode: attr.int(1) }],
    ['MaxPool', [1, 2, 5, 6], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), auto_pad: same('SAME_UPPER') }],
    ['AveragePool', [1, 2, 4, 7], { kernel_shape: ints([2, 3]), strides: ints([1, 2]), auto_pad: same('SAME_LOWER') }],
    ['MaxPool', [1, 1, 8, 7], { kernel_shape: ints([3, 2]), strides: ints([2, 3]), auto_pad: same('VALID') }],
    ['MaxPool', [1, 2, 5, 5], { kernel_shape: ints([2, 2]), dilations: ints([2, 2]), pads: ints([1, 1, 1, 1]) }],
    ['AveragePool', [1, 2, 6, 5], { kernel_shape: ints([2, 3]), dilations: ints([2, 2]), pads: ints([1, 1, 1, 0]), strides: ints([2, 1]), ceil_mode: attr.int(1) }],
    ['MaxPool', [1, 2, 3, 4, 5], { kernel_shape: ints([2, 2, 2]), strides: ints([2, 2, 2]), ceil_mode: attr.int(1) }],
    ['GlobalAveragePool', [2, 3, 5], {}],
    ['GlobalMaxPool', [2, 3, 3, 4], {}],
  ];
  for (const [op, dims, attributes] of configs) {
    const { inferred, actual } = await shapes(op, dims, dims, attributes);
    assert.deepEqual(inferred, actual, `${op} on [${dims}] with ${JSON.stringify(attributes)}`);
  }
});

test('pool output shapes: symbolic dims, and forms where onnxruntime departs from the spec', { timeout: 60_000 }, async () => {
  // Stride 1 with pads that make up for the kernel keeps a symbolic dim; other symbolic dims
  // get the output's own symbol; N and C pass through.
  const { inferred: kept } = await shapes('MaxPool', ['n', 'c', 'h', 'w'], [1, 2, 4, 5], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) });
  assert.deepEqual(kept, ['n', 'c', 'h', 'w']);
  const { inferred: same } = await shapes('AveragePool', ['n', 2, 'h', 'w'], [1, 2, 4, 5], { kernel_shape: ints([3, 2]), strides: ints([1, 2]), auto_pad: attr.string('SAME_UPPER') });
  assert.deepEqual(same.slice(0, 3), ['n', 2, 'h']);
  assert.ok(typeof same[3] === 'string' && same[3] !== 'w');
  // SAME_* with dilations: onnxruntime pads for the undilated kernel (2 windows here, the
  // spec says ⌈5/2⌉ = 3); VALID with ceil_mode: it rounds up (3 windows, the spec says 2).
  // The inferred dims are symbols, not either number.
  const departing: [Attrs, number][] = [
    [{ kernel_shape: ints([3]), strides: ints([2]), dilations: ints([2]), auto_pad: attr.string('SAME_UPPER') }, 2],
    [{ kernel_shape: ints([2]), strides: ints([2]), auto_pad: attr.string('VALID'), ceil_mode: attr.int(1) }, 3],
  ];
  for (const [attributes, onnxruntime] of departing) {
    const { inferred, actual } = await shapes('MaxPool', [1, 1, 5], [1, 1, 5], attributes);
    assert.equal(typeof inferred[2], 'string');
    assert.equal(actual[2], onnxruntime);
  }
  // MaxPool's Indices: int64, the shape of its values.
  const b = new GraphBuilder('indices');
  const [y, indices] = b.node('MaxPool', [b.input('x', DataType.FLOAT, [2, 3, 7])], { kernel_shape: ints([3]), strides: ints([2]) }, { outputs: 2 });
  const facts = inferFacts(b.build(), 17);
  assert.deepEqual(facts.get(y!)?.shape, [2, 3, 3]);
  assert.deepEqual(facts.get(indices!), { dtype: DataType.INT64, shape: [2, 3, 3] });
});

test('GlobalMaxPool routes the gradient to the first of tied maxima', { timeout: 60_000 }, async () => {
  const b = new GraphBuilder('tie');
  const x = b.input('x', DataType.FLOAT, [1, 2, 4]);
  b.op('GlobalMaxPool', [x], {}, { outputs: ['y'] });
  b.op('ReduceSum', ['y'], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const model = modelOf({ ...b.build(), outputs: [{ name: 'loss', elemType: DataType.FLOAT, shape: [] }] });
  const { model: withGrad, gradients } = addModelGradients(model, 'loss', [x]);
  const session = await createSession(withGrad);
  const out = await runSession(session, { x: tensor.float32([1, 2, 4], [0.5, 0.9, 0.9, 0.1, 2, -1, 2, 2]) });
  assert.deepEqual(Array.from(out[gradients[x]!]!.data as Float32Array), [0, 1, 0, 0, 1, 0, 0, 0]);
  await session.release();
});

test('pool forms the rules refuse, with the node named', () => {
  const lossOf = (op: string, attributes: Attrs, opset: number): ReturnType<typeof modelOf> => {
    const b = new GraphBuilder('refused');
    b.input('x', DataType.FLOAT, [1, 1, 9]);
    b.op(op, ['x'], attributes, { outputs: ['y'], name: 'the_pool' });
    b.op('ReduceSum', ['y'], { keepdims: attr.int(0) }, { outputs: ['loss'] });
    const model = modelOf({ ...b.build(), outputs: [{ name: 'loss', elemType: DataType.FLOAT, shape: [] }] });
    model.opsetImports = [{ domain: '', version: opset }];
    return model;
  };
  // ScatterElements reduces from opset 16 only.
  assert.throws(() => addModelGradients(lossOf('MaxPool', { kernel_shape: ints([2]) }, 15), 'loss', ['x']), /MaxPool node "the_pool" needs opset 16/);
  // SAME_* with a kernel smaller than the stride: onnxruntime pads negatively.
  assert.throws(
    () => addModelGradients(lossOf('AveragePool', { kernel_shape: ints([1]), strides: ints([4]), auto_pad: attr.string('SAME_UPPER') }, 17), 'loss', ['x']),
    /AveragePool node "the_pool": auto_pad SAME_UPPER with kernel 1 smaller than stride 4/,
  );
});
