// The Conv and ConvTranspose gradient rules against central finite differences (see
// helpers/grad-check.ts), in float32 because onnxruntime's CPU kernels of both take no
// double, and their shape inference against the shapes onnxruntime computes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inferFacts } from '../pipeline/lib/onnx/infer/facts.ts';
import { GraphBuilder, attr, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { type AttrValue, DataType, type Dim } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { type Case, f, testCases } from './helpers/grad-check.ts';

interface ConvSpec {
  op: 'Conv' | 'ConvTranspose';
  x: number[];
  w: number[];
  bias?: boolean;
  strides?: number[];
  dilations?: number[];
  pads?: number[];
  autoPad?: string;
  group?: number;
  outputPadding?: number[];
  outputShape?: number[];
  kernelShape?: boolean;
}

function attributes(s: ConvSpec): Record<string, AttrValue> {
  const a: Record<string, AttrValue> = {};
  if (s.strides) a.strides = attr.ints(s.strides);
  if (s.dilations) a.dilations = attr.ints(s.dilations);
  if (s.pads) a.pads = attr.ints(s.pads);
  if (s.autoPad) a.auto_pad = attr.string(s.autoPad);
  if (s.group) a.group = attr.int(s.group);
  if (s.outputPadding) a.output_padding = attr.ints(s.outputPadding);
  if (s.outputShape) a.output_shape = attr.ints(s.outputShape);
  if (s.kernelShape) a.kernel_shape = attr.ints(s.w.slice(2));
  return a;
}

function convCase(name: string, s: ConvSpec): Case {
  const channels = s.op === 'Conv' ? s.w[0]! : s.w[1]! * (s.group ?? 1);
  return {
    name: `${s.op} ${name}`,
    float32: true,
    inputs: { x: f(s.x), weight: f(s.w), ...(s.bias ? { bias: f([channels]) } : {}) },
    y: ({ b, x }) => b.op(s.op, [x.x!, x.weight!, ...(s.bias ? [x.bias!] : [])], attributes(s)),
  };
}

const SAME_UPPER: ConvSpec = { op: 'Conv', x: [2, 2, 7, 6], w: [2, 2, 2, 2], strides: [2, 1], autoPad: 'SAME_UPPER', bias: true };
// Axis 0 crops one row of 7, axis 1 gets a zero row past its 9 (rest 1).
const OUTPUT_SHAPE: ConvSpec = { op: 'ConvTranspose', x: [2, 2, 3, 4], w: [2, 2, 3, 3], strides: [2, 2], outputShape: [6, 10] };

const CONV: [string, ConvSpec][] = [
  ['1-D with bias', { op: 'Conv', x: [2, 3, 7], w: [4, 3, 3], bias: true }],
  ['2-D, no bias, kernel_shape given', { op: 'Conv', x: [2, 2, 5, 6], w: [3, 2, 3, 3], kernelShape: true }],
  ['3-D with bias and pads', { op: 'Conv', x: [1, 2, 4, 4, 5], w: [2, 2, 2, 2, 3], bias: true, pads: [1, 0, 1, 0, 1, 1] }],
  // (6 − 3) mod 2 = 1 and (7 − 3) mod 3 = 1 rows never read; rest ≥ dilation slices dW.
  ['strides 2 and 3 with remainders', { op: 'Conv', x: [2, 2, 6, 7], w: [2, 2, 3, 3], strides: [2, 3], bias: true }],
  ['dilation 2', { op: 'Conv', x: [2, 2, 7, 7], w: [2, 2, 3, 3], dilations: [2, 2], strides: [1, 2] }],
  ['asymmetric pads, stride 2', { op: 'Conv', x: [2, 2, 6, 5], w: [3, 2, 3, 3], pads: [1, 0, 2, 1], strides: [2, 2] }],
  // Odd total padding on both axes: UPPER and LOWER put the extra row at different ends.
  ['SAME_UPPER, stride 2', SAME_UPPER],
  ['SAME_LOWER, stride 2', { op: 'Conv', x: [2, 2, 7, 6], w: [2, 2, 2, 2], strides: [2, 1], autoPad: 'SAME_LOWER' }],
  ['VALID, stride 2', { op: 'Conv', x: [2, 2, 7, 6], w: [2, 2, 3, 3], strides: [2, 2], autoPad: 'VALID' }],
  ['group=2 with bias', { op: 'Conv', x: [2, 4, 6, 5], w: [6, 2, 3, 3], group: 2, pads: [1, 1, 1, 1], bias: true }],
  ['depthwise (group=C, multiplier 2), stride 2', { op: 'Conv', x: [2, 3, 6, 6], w: [6, 1, 3, 3], group: 3, strides: [2, 2], pads: [1, 1, 0, 0] }],
  ['1-D group=2, stride 3, dilation 2', { op: 'Conv', x: [2, 4, 11], w: [2, 2, 2], group: 2, strides: [3], dilations: [2], bias: true }],
];

const CONV_TRANSPOSE: [string, ConvSpec][] = [
  ['1-D with bias', { op: 'ConvTranspose', x: [2, 3, 4], w: [3, 2, 3], bias: true }],
  ['2-D stride 2 with bias', { op: 'ConvTranspose', x: [2, 3, 3, 4], w: [3, 2, 3, 3], strides: [2, 2], bias: true }],
  ['output_padding and asymmetric pads', { op: 'ConvTranspose', x: [2, 2, 3, 3], w: [2, 2, 3, 3], strides: [2, 3], pads: [1, 0, 0, 2], outputPadding: [1, 2] }],
  ['dilation 2, output_padding', { op: 'ConvTranspose', x: [2, 2, 4], w: [2, 2, 3], strides: [2], dilations: [2], outputPadding: [1] }],
  ['group=2', { op: 'ConvTranspose', x: [2, 4, 3, 3], w: [4, 3, 2, 2], group: 2, strides: [2, 1], bias: true }],
  ['depthwise (group=C)', { op: 'ConvTranspose', x: [2, 3, 3, 4], w: [3, 2, 3, 3], group: 3, strides: [2, 2], pads: [1, 1, 1, 1] }],
  ['output_shape', OUTPUT_SHAPE],
  ['output_shape, SAME_UPPER', { op: 'ConvTranspose', x: [2, 2, 3, 3], w: [2, 2, 3, 3], strides: [2, 2], outputShape: [6, 7], autoPad: 'SAME_UPPER' }],
  ['SAME_UPPER, stride 2', { op: 'ConvTranspose', x: [2, 2, 4], w: [2, 2, 3], strides: [2], autoPad: 'SAME_UPPER', bias: true }],
  ['SAME_LOWER, stride 2', { op: 'ConvTranspose', x: [2, 2, 4], w: [2, 2, 3], strides: [2], autoPad: 'SAME_LOWER' }],
  ['VALID', { op: 'ConvTranspose', x: [2, 2, 3, 3], w: [2, 3, 2, 3], strides: [2, 1], autoPad: 'VALID' }],
  ['3-D', { op: 'ConvTranspose', x: [1, 2, 2, 3, 3], w: [2, 2, 2, 2, 2], strides: [1, 2, 2], pads: [0, 1, 0, 1, 0, 0], bias: true }],
];

testCases([
  ...[...CONV, ...CONV_TRANSPOSE].map(([name, spec]) => convCase(name, spec)),
  // Opset 18 on: Pad takes an optional axes input, ReduceSum its axes as an input.
  { ...convCase('SAME_UPPER, stride 2, opset 18', SAME_UPPER), opset: 18 },
  { ...convCase('output_shape with bias, opset 21', { ...OUTPUT_SHAPE, bias: true }), opset: 21 },
]);

/** The output's static facts and the shape onnxruntime computes for the spec's node. */
async function shapes(s: ConvSpec, xDims: Dim[] = s.x): Promise<{ inferred: Dim[] | undefined; actual: number[] }> {
  const b = new GraphBuilder('shape');
  const x = b.input('x', DataType.FLOAT, xDims);
  const w = b.input('w', DataType.FLOAT, s.w);
  const y = b.op(s.op, [x, w], attributes(s));
  const graph = { ...b.build(), outputs: [{ name: y, elemType: DataType.FLOAT }] };
  const inferred = inferFacts(graph, 17).get(y)?.shape;
  const session = await createSession(modelOf(graph));
  const fill = (dims: number[]): ReturnType<typeof tensor.float32> => tensor.float32(dims, new Array(dims.reduce((p, q) => p * q, 1)).fill(0.5));
  const actual = (await runSession(session, { x: fill(s.x), w: fill(s.w) }))[y]!.dims;
  await session.release();
  return { inferred, actual: [...actual] };
}

test('shape inference: Conv and ConvTranspose output shapes match onnxruntime', { timeout: 60_000 }, async () => {
  const picked = [...CONV, ...CONV_TRANSPOSE].filter(([name]) => /remainder|asymmetric|SAME|VALID|group|output_shape|3-D|dilation/.test(name));
  for (const [name, spec] of picked) {
    const { inferred, actual } = await shapes(spec);
    assert.deepEqual(inferred, actual, `${spec.op} ${name}`);
  }
});

test('shape inference: Conv and ConvTranspose keep what symbolic sizes allow', { timeout: 60_000 }, async () => {
  // 'Same' padding at stride 1 keeps a symbolic size; stride 2 cannot say; output_shape can.
  const same: ConvSpec = { op: 'Conv', x: [2, 2, 5, 6], w: [3, 2, 3, 3], pads: [1, 1, 1, 1], strides: [1, 2] };
  const conv = await shapes(same, ['n', 2, 'h', 'w']);
  assert.deepEqual(conv.inferred?.slice(0, 3), ['n', 3, 'h']);
  assert.equal(typeof conv.inferred?.[3], 'string');
  const upper: ConvSpec = { op: 'Conv', x: [2, 2, 5, 6], w: [3, 2, 2, 3], autoPad: 'SAME_UPPER' };
  assert.deepEqual((await shapes(upper, ['n', 2, 'h', 'w'])).inferred, ['n', 3, 'h', 'w']);
  const transposed: ConvSpec = { op: 'ConvTranspose', x: [2, 2, 3, 4], w: [2, 3, 3, 3], group: 2, strides: [1, 2], autoPad: 'SAME_LOWER' };
  const t = await shapes(transposed, ['n', 2, 'h', 'w']);
  assert.deepEqual(t.inferred?.slice(0, 3), ['n', 6, 'h']);
  assert.equal(typeof t.inferred?.[3], 'string');
  assert.deepEqual((await shapes(OUTPUT_SHAPE, ['n', 2, 'h', 'w'])).inferred, ['n', 2, 6, 10]);
});
