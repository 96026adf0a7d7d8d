// The gradient rules of the elementwise activations and functions against central finite
// differences (see helpers/grad-check.ts), in float64 where onnxruntime's CPU kernel takes
// doubles and in float32 where it does not (Erf, Gelu, Elu, Selu, Celu, Softplus, Softsign,
// HardSigmoid, HardSwish). Inputs keep away from kinks there; the conventions at kinks and
// ties (Max/Min, Clip) are checked exactly by separate tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addModelGradients } from '../pipeline/lib/autodiff/grad.ts';
import { GraphBuilder, attr, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { DataType, type AttrValue } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { type Case, type InputSpec, f, rand, testCases } from './helpers/grad-check.ts';

/** Random values in ±scale, at least `gap` from every kink (more than the float32 step
 * of the finite differences, 1e-2). */
function away(dims: number[], kinks: number[] = [0], scale = 1, gap = 0.1): InputSpec {
  const values = Array.from({ length: dims.reduce((p, q) => p * q, 1) }, () => {
    let v: number;
    do v = scale * (2 * rand() - 1);
    while (kinks.some((k) => Math.abs(v - k) < gap));
    return v;
  });
  return { dims, values };
}

/** A one-op case on input x with attributes. */
const unary = (name: string, op: string, x: InputSpec, attributes: Record<string, AttrValue> = {}, extra: Partial<Case> = {}): Case => ({
  name,
  inputs: { x },
  y: ({ b, x: v }) => b.op(op, [v.x!], attributes),
  ...extra,
});

const F32 = { float32: true };

const CASES: Case[] = [
  // float64.
  unary('Sin', 'Sin', f([2, 3], { values: [-2.5, -1, -0.2, 0.4, 1.3, 3] })),
  unary('Cos', 'Cos', f([2, 3], { values: [-2.5, -1, -0.2, 0.4, 1.3, 3] })),
  unary('Abs', 'Abs', away([2, 3])),
  unary('LeakyRelu default alpha', 'LeakyRelu', away([2, 3])),
  unary('LeakyRelu alpha 0.3', 'LeakyRelu', away([2, 3]), { alpha: attr.float(0.3) }),
  { name: 'PRelu slope [3] on [2, 3]', inputs: { x: away([2, 3]), s: f([3]) }, y: ({ b, x }) => b.op('PRelu', [x.x!, x.s!]) },
  { name: 'PRelu slope [3, 1] on [2, 3, 4]', inputs: { x: away([2, 3, 4]), s: f([3, 1]) }, y: ({ b, x }) => b.op('PRelu', [x.x!, x.s!]) },
  // Mish is opset 18; the tails check the overflow-free form of tanh(softplus(x)).
  unary('Mish (tails too)', 'Mish', f([9], { values: [-40, -8, -1.5, -0.2, 0, 0.3, 2, 8, 40] }), {}, { opset: 18 }),
  {
    name: 'Clip with min and max inputs',
    inputs: { x: away([3, 4], [-0.4, 0.5]), lo: f([], { values: [-0.4] }), hi: f([], { values: [0.5] }) },
    y: ({ b, x }) => b.op('Clip', [x.x!, x.lo!, x.hi!]),
  },
  {
    name: 'Clip with min only',
    inputs: { x: away([3, 4], [-0.2]), lo: f([], { values: [-0.2] }) },
    y: ({ b, x }) => b.op('Clip', [x.x!, x.lo!]),
  },
  {
    name: 'Clip with max only',
    inputs: { x: away([3, 4], [0.3]), hi: f([], { values: [0.3] }) },
    y: ({ b, x }) => b.op('Clip', [x.x!, '', x.hi!]),
  },
  {
    name: 'Clip with constant bounds',
    inputs: { x: away([3, 4], [-0.5, 0.25]), lo: f([], { values: [-0.5], constant: true }), hi: f([], { values: [0.25], constant: true }) },
    y: ({ b, x }) => b.op('Clip', [x.x!, x.lo!, x.hi!]),
  },
  unary('Clip without bounds', 'Clip', f([2, 3])),
  {
    name: 'Clip with min > max (y = max)',
    inputs: { x: f([2, 3]), lo: f([], { values: [0.6] }), hi: f([], { values: [-0.3] }) },
    y: ({ b, x }) => b.op('Clip', [x.x!, x.lo!, x.hi!]),
  },
  { name: 'Max of two, broadcast', inputs: { a: f([2, 3]), b: f([3]) }, y: ({ b, x }) => b.op('Max', [x.a!, x.b!]) },
  { name: 'Max of three, broadcast', inputs: { a: f([2, 3]), b: f([3]), c: f([2, 1]) }, y: ({ b, x }) => b.op('Max', [x.a!, x.b!, x.c!]) },
  { name: 'Max of one', inputs: { a: f([2, 3]) }, y: ({ b, x }) => b.op('Max', [x.a!]) },
  { name: 'Min of two, broadcast', inputs: { a: f([3, 1]), b: f([2, 1, 4]) }, y: ({ b, x }) => b.op('Min', [x.a!, x.b!]) },
  { name: 'Min of three, broadcast', inputs: { a: f([2, 1, 4]), b: f([3, 1]), c: f([4]) }, y: ({ b, x }) => b.op('Min', [x.a!, x.b!, x.c!]) },
  unary('LogSoftmax default axis', 'LogSoftmax', f([2, 3, 4])),
  unary('LogSoftmax axis 0', 'LogSoftmax', f([2, 3, 4]), { axis: attr.int(0) }),
  unary('LogSoftmax axis -2', 'LogSoftmax', f([2, 3, 4]), { axis: attr.int(-2) }),
  // float32 only in onnxruntime's CPU provider.
  unary('Erf', 'Erf', away([2, 4], [], 2), {}, F32),
  unary("Gelu approximate 'none'", 'Gelu', away([2, 5], [], 3), {}, { ...F32, opset: 20 }),
  unary("Gelu approximate 'tanh'", 'Gelu', away([2, 5], [], 3), { approximate: attr.string('tanh') }, { ...F32, opset: 20 }),
  unary('Elu default alpha', 'Elu', away([2, 4], [0], 2), {}, F32),
  unary('Elu alpha 0.5', 'Elu', away([2, 4], [0], 2), { alpha: attr.float(0.5) }, F32),
  unary('Selu default alpha, gamma', 'Selu', away([2, 4], [0], 2), {}, F32),
  unary('Selu alpha 1.2, gamma 2', 'Selu', away([2, 4], [0], 2), { alpha: attr.float(1.2), gamma: attr.float(2) }, F32),
  unary('Celu default alpha', 'Celu', away([2, 4], [0], 2), {}, F32),
  unary('Celu alpha 2', 'Celu', away([2, 4], [0], 3), { alpha: attr.float(2) }, F32),
  unary('Softplus', 'Softplus', away([2, 4], [], 3), {}, F32),
  unary('Softsign', 'Softsign', away([2, 4], [0], 3), {}, F32),
  unary('HardSigmoid default alpha, beta', 'HardSigmoid', away([3, 4], [-2.5, 2.5], 4), {}, F32),
  unary('HardSigmoid alpha 0.5, beta 0.3', 'HardSigmoid', away([3, 4], [-0.6, 1.4], 3), { alpha: attr.float(0.5), beta: attr.float(0.3) }, F32),
  unary('HardSwish', 'HardSwish', away([3, 4], [-3, 3], 5), {}, F32),
];

testCases(CASES);

/** Exact gradients of Σ y·w (w a constant of y's shape) in float64, for the conventions at kinks. */
async function gradientsAt(
  inputs: Record<string, { dims: number[]; values: number[] }>,
  y: (b: GraphBuilder, x: Record<string, string>) => string,
  w: number[],
  wDims = [w.length],
): Promise<Record<string, number[]>> {
  const b = new GraphBuilder('kinks');
  const x = Object.fromEntries(Object.entries(inputs).map(([name, v]) => [name, b.input(name, DataType.DOUBLE, v.dims)]));
  const out = y(b, x);
  const weights = b.constant(tensor.float64(wDims, w));
  b.op('ReduceSum', [b.op('Mul', [out, weights])], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const model = modelOf({ ...b.build(), outputs: [{ name: 'loss', elemType: DataType.DOUBLE, shape: [] }] });
  const { model: gradModel, gradients } = addModelGradients(model, 'loss', Object.keys(inputs));
  const session = await createSession(gradModel);
  const feeds = Object.fromEntries(Object.entries(inputs).map(([name, v]) => [name, tensor.float64(v.dims, v.values)]));
  const result = await runSession(session, feeds);
  await session.release();
  return Object.fromEntries(Object.keys(inputs).map((name) => [name, Array.from(result[gradients[name]!]!.data as Float64Array)]));
}

function assertClose(got: number[], want: number[], what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 1e-12, `${what}[${i}] = ${g}, expected ${want[i]}`));
}

test('Max and Min split the gradient evenly between tied operands', async () => {
  // Columns: all three tied; a alone; a and b tied; all three tied (Max). For Min: all
  // tied; b and c tied; c alone; all tied.
  const inputs = {
    a: { dims: [4], values: [1, 2, 3, 5] },
    b: { dims: [4], values: [1, 0, 3, 5] },
    c: { dims: [4], values: [1, 0, -1, 5] },
  };
  const w = [3, 5, 7, 11];
  const max = await gradientsAt(inputs, (b, x) => b.op('Max', [x.a!, x.b!, x.c!]), w);
  assertClose(max.a!, [1, 5, 3.5, 11 / 3], 'Max: d/da');
  assertClose(max.b!, [1, 0, 3.5, 11 / 3], 'Max: d/db');
  assertClose(max.c!, [1, 0, 0, 11 / 3], 'Max: d/dc');
  const min = await gradientsAt(inputs, (b, x) => b.op('Min', [x.a!, x.b!, x.c!]), w);
  assertClose(min.a!, [1, 0, 0, 11 / 3], 'Min: d/da');
  assertClose(min.b!, [1, 2.5, 0, 11 / 3], 'Min: d/db');
  assertClose(min.c!, [1, 2.5, 7, 11 / 3], 'Min: d/dc');
  // A broadcast operand sums its shares: torch.maximum's grad/2 at a tie of two.
  const pair = await gradientsAt(
    { a: { dims: [2, 2], values: [1, 5, 1, 0] }, b: { dims: [2], values: [1, 2] } },
    (b, x) => b.op('Max', [x.a!, x.b!]),
    [3, 5, 7, 11],
    [2, 2],
  );
  assertClose(pair.a!, [1.5, 5, 3.5, 0], 'Max pair: d/da');
  assertClose(pair.b!, [1.5 + 3.5, 11], 'Max pair: d/db');
});

test('Clip passes the gradient to x at its bounds, as torch.clamp', async () => {
  const x = { dims: [5], values: [-1, -0.5, 0, 0.5, 1] };
  const w = [3, 5, 7, 11, 13];
  const bound = (v: number): { dims: number[]; values: number[] } => ({ dims: [], values: [v] });
  const both = await gradientsAt({ x, lo: bound(-0.5), hi: bound(0.5) }, (b, v) => b.op('Clip', [v.x!, v.lo!, v.hi!]), w);
  assertClose(both.x!, [0, 5, 7, 11, 0], 'Clip: d/dx');
  assertClose(both.lo!, [3], 'Clip: d/dmin');
  assertClose(both.hi!, [13], 'Clip: d/dmax');
  const lower = await gradientsAt({ x, lo: bound(-0.5) }, (b, v) => b.op('Clip', [v.x!, v.lo!]), w);
  assertClose(lower.x!, [0, 5, 7, 11, 13], 'Clip min only: d/dx');
  assertClose(lower.lo!, [3], 'Clip min only: d/dmin');
  const upper = await gradientsAt({ x, hi: bound(0.5) }, (b, v) => b.op('Clip', [v.x!, '', v.hi!]), w);
  assertClose(upper.x!, [3, 5, 7, 11, 0], 'Clip max only: d/dx');
  assertClose(upper.hi!, [13], 'Clip max only: d/dmax');
  // min > max: y = max everywhere, and max takes all of the gradient.
  const crossed = await gradientsAt({ x, lo: bound(0.5), hi: bound(-0.5) }, (b, v) => b.op('Clip', [v.x!, v.lo!, v.hi!]), w);
  assertClose(crossed.x!, [0, 0, 0, 0, 0], 'Clip min > max: d/dx');
  assertClose(crossed.lo!, [0], 'Clip min > max: d/dmin');
  assertClose(crossed.hi!, [39], 'Clip min > max: d/dmax');
});
