// The gradient rules of the structural ops exporters emit — Pad, Tile, CumSum, Einsum, Mod,
// Flatten — against central finite differences (see helpers/grad-check.ts), the forms the
// rules refuse, and the shape inference of those ops against onnxruntime's output shapes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addModelGradients } from '../pipeline/lib/autodiff/grad.ts';
import { parseEquation } from '../pipeline/lib/onnx/einsum.ts';
import { GraphBuilder, attr, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { DataType } from '../pipeline/lib/onnx/ir.ts';
import { inferFacts } from '../pipeline/lib/onnx/infer/facts.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { type Case, type CaseContext, f, i64, makeTensor, testCases } from './helpers/grad-check.ts';

const mode = (m: string) => ({ mode: attr.string(m) });
const eq = (equation: string) => ({ equation: attr.string(equation) });

/** y = Pad(a, pads[, value][, axes]) in `m` mode; value is input v where the case has one. */
const pad = (m: string, pads: number[], axes?: number[]) => ({ b, x, ints }: CaseContext): string =>
  b.op('Pad', [x.a!, ints(pads), ...(x.v ? [x.v] : axes ? [''] : []), ...(axes ? [ints(axes)] : [])], mode(m));

const cumsum = (axis: number, exclusive: number, reverse: number) => ({ b, x }: CaseContext): string =>
  b.op('CumSum', [x.a!, b.constant(tensor.int64([], [axis]))], { exclusive: attr.int(exclusive), reverse: attr.int(reverse) });

const einsum = (equation: string) => ({ b, x }: CaseContext): string => b.op('Einsum', Object.values(x), eq(equation));

const CASES: Case[] = [
  // Pad: constant mode crops dy (negative pads: zero-pads it); the pad value gets Σ dy over the padding.
  { name: 'Pad constant, positive pads, value input', inputs: { a: f([2, 3]), v: f([]) }, y: pad('constant', [1, 0, 2, 1]) },
  { name: 'Pad constant, negative and positive pads, value input', inputs: { a: f([3, 4]), v: f([]) }, y: pad('constant', [1, -1, -1, 2]) },
  { name: 'Pad constant, no value input (default 0)', inputs: { a: f([2, 2, 3]) }, y: pad('constant', [0, 1, 0, 0, 0, 2]) },
  { name: 'Pad constant, pads known only at runtime', inputs: { a: f([3, 4]), p: i64([4], [1, -1, 0, 2]), v: f([]) }, y: ({ b, x }) => b.op('Pad', [x.a!, x.p!, x.v!]) },
  // Copying modes: border gradients fold back onto the elements they copy.
  { name: 'Pad reflect', inputs: { a: f([3, 4]) }, y: pad('reflect', [2, 1, 1, 3]) },
  { name: 'Pad reflect, widest pads', inputs: { a: f([2, 3]) }, y: pad('reflect', [1, 2, 1, 2]) },
  { name: 'Pad reflect with a crop, value input unused', inputs: { a: f([3, 5]), v: f([]) }, y: pad('reflect', [1, -1, -1, 2]) },
  { name: 'Pad edge', inputs: { a: f([3, 4]) }, y: pad('edge', [2, 0, 1, 3]) },
  { name: 'Pad edge, axis of size 1', inputs: { a: f([1, 3]) }, y: pad('edge', [2, 1, 1, 0]) },
  { name: 'Pad edge with a crop', inputs: { a: f([2, 4]) }, y: pad('edge', [1, -1, 0, 2]) },
  // Opset 18: the axes input; opset 19: wrap.
  { name: 'Pad constant, axes input (opset 18)', inputs: { a: f([2, 3, 4]), v: f([]) }, y: pad('constant', [1, -1], [-1]), opset: 18 },
  { name: 'Pad reflect, axes input (opset 18)', inputs: { a: f([3, 2, 4]) }, y: pad('reflect', [1, 2, 2, 1], [0, -1]), opset: 18 },
  { name: 'Pad wrap (opset 19)', inputs: { a: f([3, 4]) }, y: pad('wrap', [1, 2, 2, 3]), opset: 19 },
  // Tile: dy summed over the repeats.
  { name: 'Tile 1-D', inputs: { a: f([3]) }, y: ({ b, x, ints }) => b.op('Tile', [x.a!, ints([3])]) },
  { name: 'Tile 2-D, one axis repeated once', inputs: { a: f([2, 3]) }, y: ({ b, x, ints }) => b.op('Tile', [x.a!, ints([2, 1])]) },
  { name: 'Tile 3-D', inputs: { a: f([2, 1, 3]) }, y: ({ b, x, ints }) => b.op('Tile', [x.a!, ints([2, 3, 2])]) },
  { name: 'Tile, repeats known only at runtime', inputs: { a: f([2, 3]), r: i64([2], [1, 3]) }, y: ({ b, x }) => b.op('Tile', [x.a!, x.r!]) },
  // CumSum: the cumulative sum of dy the other way, exclusive as in the forward pass.
  ...[0, 1].flatMap((exclusive) =>
    [0, 1].map((reverse): Case => ({
      name: `CumSum exclusive=${exclusive} reverse=${reverse}`,
      inputs: { a: f([3, 4]) },
      y: cumsum(1, exclusive, reverse),
    })),
  ),
  { name: 'CumSum negative axis', inputs: { a: f([2, 3, 4]) }, y: cumsum(-2, 0, 1) },
  { name: 'CumSum int32 axis', inputs: { a: f([3, 2]) }, y: ({ b, x }) => b.op('CumSum', [x.a!, b.constant(tensor.int32([], [0]))], { exclusive: attr.int(1) }) },
  // Einsum: each operand's gradient is an Einsum of dy with the others.
  { name: 'Einsum batched matmul bij,bjk->bik', inputs: { a: f([2, 3, 4]), b: f([2, 4, 2]) }, y: einsum('bij,bjk->bik') },
  { name: 'Einsum attention scores bhqd,bhkd->bhqk', inputs: { a: f([1, 2, 3, 4]), b: f([1, 2, 5, 4]) }, y: einsum('bhqd,bhkd->bhqk') },
  { name: 'Einsum transpose ij->ji', inputs: { a: f([2, 3]) }, y: einsum('ij->ji') },
  { name: 'Einsum outer product i,j->ij', inputs: { a: f([3]), b: f([4]) }, y: einsum('i,j->ij') },
  { name: 'Einsum row dot products bi,bi->b', inputs: { a: f([3, 4]), b: f([3, 4]) }, y: einsum('bi,bi->b') },
  { name: 'Einsum ellipsis ...ij,...jk->...ik', inputs: { a: f([2, 3, 4]), b: f([2, 4, 2]) }, y: einsum('...ij,...jk->...ik') },
  { name: 'Einsum ellipsis broadcast 1 against 2', inputs: { a: f([1, 3, 4]), b: f([2, 4, 2]) }, y: einsum('...ij,...jk->...ik') },
  { name: 'Einsum ellipsis in one operand only', inputs: { a: f([2, 3, 4]), b: f([4, 2]) }, y: einsum('...ij,jk->...ik') },
  { name: 'Einsum letter summed away in one operand', inputs: { a: f([2, 3]), b: f([2, 3, 4]) }, y: einsum('bi,bij->b') },
  { name: 'Einsum sum of everything ij->', inputs: { a: f([2, 3]) }, y: einsum('ij->') },
  { name: 'Einsum implicit output ij,jk', inputs: { a: f([2, 3]), b: f([3, 4]) }, y: einsum('ij,jk') },
  { name: 'Einsum implicit output with ellipsis and spaces', inputs: { a: f([2, 3, 4]), b: f([2, 4, 2]) }, y: einsum('... ij, ...jk') },
  { name: 'Einsum implicit output ba (transpose)', inputs: { a: f([2, 3]) }, y: einsum('ba') },
  // Mod (fmod): da = dy, db = -dy·trunc(a/b), with values away from the jumps.
  {
    name: 'Mod fmod=1 broadcast',
    inputs: { a: f([2, 3], { values: [2.3, -2.3, 0.7, 5.1, -4.4, 3.9] }), b: f([3], { values: [0.9, -1.3, 0.4] }) },
    y: ({ b, x }) => b.op('Mod', [x.a!, x.b!], { fmod: attr.int(1) }),
  },
  // Flatten (the Reshape rule).
  ...[0, 1, 2, -1].map((axis): Case => ({
    name: `Flatten axis ${axis}`,
    inputs: { a: f([2, 3, 2]) },
    y: ({ b, x }) => b.op('Flatten', [x.a!], { axis: attr.int(axis) }),
  })),
];

testCases(CASES);

/** loss = Σ y for y = op(a, …); the gradient graph's build is what the refusal tests check. */
function lossGraph(build: (b: GraphBuilder, a: string) => string) {
  const b = new GraphBuilder('refused');
  const a = b.input('a', DataType.DOUBLE, [3, 3]);
  b.op('ReduceSum', [build(b, a)], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  return { model: modelOf({ ...b.build(), outputs: [{ name: 'loss', elemType: DataType.DOUBLE }] }), a };
}

test('Einsum equations: implicit outputs are the ellipsis, then the letters seen once, sorted', () => {
  assert.deepEqual(parseEquation('ba'), { inputs: [['b', 'a']], output: ['a', 'b'] });
  assert.deepEqual(parseEquation(' ...ij, ...jk').output, ['...', 'i', 'k']);
  assert.deepEqual(parseEquation('bhqd,bhkd->bhqk').inputs, [['b', 'h', 'q', 'd'], ['b', 'h', 'k', 'd']]);
  assert.throws(() => parseEquation('i...j...->ij'), /two ellipses/);
  assert.throws(() => parseEquation('i1,j->ij'), /unexpected character "1"/);
});

test('Einsum with a repeated subscript (a diagonal), or summing an ellipsis away, is refused, naming the equation', () => {
  const diag = lossGraph((b, x) => b.op('Einsum', [x], eq('ii->i'), { name: 'diag' }));
  assert.throws(() => addModelGradients(diag.model, 'loss', [diag.a]), /Einsum node "diag": the repeated subscript in "ii->i"/);
  const summed = lossGraph((b, x) => b.op('Einsum', [x], eq('...i->i'), { name: 'sum' }));
  assert.throws(() => addModelGradients(summed.model, 'loss', [summed.a]), /Einsum node "sum": "...i->i" sums over an ellipsis/);
});

test('Einsum broadcasting a size-1 dim under one letter is refused', () => {
  const { model, a } = lossGraph((b, x) => b.op('Einsum', [x, b.constant(tensor.float64([1, 3], [1, 2, 3]))], eq('ij,ij->ij'), { name: 'bc' }));
  assert.throws(() => addModelGradients(model, 'loss', [a]), /Einsum node "bc" \("ij,ij->ij"\) broadcasts a size-1 dim/);
});

test('Pad in a copying mode with runtime pads is refused; an unknown mode too', () => {
  const runtime = new GraphBuilder('runtime-pads');
  const a = runtime.input('a', DataType.DOUBLE, [3, 3]);
  const p = runtime.input('p', DataType.INT64, [4]);
  runtime.op('ReduceSum', [runtime.op('Pad', [a, p], mode('reflect'), { name: 'mirror' })], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const model = modelOf({ ...runtime.build(), outputs: [{ name: 'loss', elemType: DataType.DOUBLE }] });
  assert.throws(() => addModelGradients(model, 'loss', [a]), /Pad node "mirror" in mode "reflect" needs constant pads and axes/);
  const odd = lossGraph((b, x) => b.op('Pad', [x, b.ints([1, 1, 1, 1])], mode('symmetric'), { name: 'odd' }));
  assert.throws(() => addModelGradients(odd.model, 'loss', [odd.a]), /Pad node "odd" has mode "symmetric"/);
});

/** Static inference of y = op(inputs) against the shape onnxruntime gives it. */
async function agreesWithOrt(inputs: Record<string, number[]>, build: (b: GraphBuilder, x: string[]) => string, opset = 17): Promise<void> {
  const b = new GraphBuilder('infer');
  const x = Object.entries(inputs).map(([name, dims]) => b.input(name, DataType.DOUBLE, dims));
  const y = build(b, x);
  const model = modelOf({ ...b.build(), outputs: [{ name: y, elemType: DataType.DOUBLE }] });
  model.opsetImports = [{ domain: '', version: opset }];
  const inferred = inferFacts(model.graph, opset).get(y);
  const feeds = Object.fromEntries(Object.entries(inputs).map(([name, dims]) => [name, makeTensor(DataType.DOUBLE, dims, new Array(dims.reduce((p, q) => p * q, 1)).fill(0.5))]));
  const session = await createSession(model);
  const out = (await runSession(session, feeds))[y]!;
  await session.release();
  assert.deepEqual(inferred?.shape, out.dims, `${b.nodes.at(-1)!.opType}: inferred [${inferred?.shape}], onnxruntime gives [${out.dims}]`);
  assert.equal(inferred?.dtype, DataType.DOUBLE);
}

test('shape inference of Pad, Tile, CumSum and Einsum matches onnxruntime', async () => {
  await agreesWithOrt({ a: [3, 5] }, (b, [a]) => b.op('Pad', [a!, b.ints([1, -1, -1, 2])], mode('reflect')));
  await agreesWithOrt({ a: [2, 3, 4] }, (b, [a]) => b.op('Pad', [a!, b.ints([2, -1]), '', b.ints([-2])]), 18);
  await agreesWithOrt({ a: [2, 1, 3] }, (b, [a]) => b.op('Tile', [a!, b.ints([2, 3, 2])]));
  await agreesWithOrt({ a: [2, 3] }, (b, [a]) => b.op('CumSum', [a!, b.constant(tensor.int64([], [-1]))], { reverse: attr.int(1) }));
  await agreesWithOrt({ a: [2, 3, 4], c: [2, 4, 5] }, (b, x) => b.op('Einsum', x, eq('bij,bjk->bik')));
  await agreesWithOrt({ a: [1, 3, 4], c: [2, 4, 5] }, (b, x) => b.op('Einsum', x, eq('...ij,...jk')));
  await agreesWithOrt({ a: [2, 3], c: [3, 4] }, (b, x) => b.op('Einsum', x, eq('ik,kj')));
  await agreesWithOrt({ a: [2, 3], c: [4] }, (b, x) => b.op('Einsum', x, eq('ij,k->kj')));
});

test('shape inference keeps symbolic dims: Pad and Tile name the size they make', () => {
  const b = new GraphBuilder('symbolic');
  const a = b.input('a', DataType.DOUBLE, ['n', 3]);
  const padded = b.op('Pad', [a, b.ints([1, 0, 2, 0])]);
  const again = b.op('Pad', [a, b.ints([2, 0, 1, 0])]);
  const tiled = b.op('Tile', [a, b.ints([1, 2])]);
  const facts = inferFacts(b.build(), 17);
  assert.equal(facts.get(padded)?.shape?.[1], 3);
  assert.equal(facts.get(padded)?.shape?.[0], facts.get(again)?.shape?.[0]);
  assert.deepEqual(facts.get(tiled)?.shape, ['n', 6]);
});
