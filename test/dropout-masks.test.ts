// The onnxruntime engine's dropout in onnxruntime: a Dropout in training mode becomes
// x · table window / (1 − p) at the offsets of its (seed, step, site); offsets are a pure
// function of (seed, step), however steps are grouped into runs; the table keeps 1 − p.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder, attr, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { DataType, OPSET } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { keepTable, maskOffsets, tableConstant, tableDropout, tableSizeFor, type DropoutPlan } from '../stages/train/dropout-masks.ts';

const RATIO = 0.25;
const SHAPES = [[3, 4], [2, 5]];

test('offsets depend on (seed, step) only: a resumed or re-chunked run reads the same windows', () => {
  const plan: DropoutPlan = { sizes: [12, 10, 7], ratio: RATIO, tableSize: tableSizeFor([12, 10, 7]) };
  const whole = maskOffsets(3, 1, 10, plan);
  const later = maskOffsets(3, 5, 4, plan);
  assert.deepEqual(Array.from(later), Array.from(whole.slice(4 * 3, 8 * 3)));
  assert.notDeepEqual(Array.from(maskOffsets(4, 1, 10, plan)), Array.from(whole), 'another seed, other offsets');
  for (const o of whole) assert.ok(o >= 0n && o <= BigInt(plan.tableSize - 12), `offset ${o} leaves the table`);
  assert.equal(new Set(whole).size, whole.length, 'offsets of different steps and sites repeat');
});

test('the keep table keeps 1 − p of its entries and is a function of the seed', () => {
  const plan: DropoutPlan = { sizes: [100], ratio: RATIO, tableSize: tableSizeFor([100]) };
  assert.equal(plan.tableSize, 2 ** 24);
  const table = keepTable(7, plan);
  const kept = table.reduce((n, b) => n + b, 0);
  const expected = (1 - RATIO) * table.length;
  const sd = Math.sqrt(table.length * RATIO * (1 - RATIO));
  assert.ok(Math.abs(kept - expected) < 5 * sd, `kept ${kept} of ${table.length}, expected ${expected} ± ${sd.toFixed(0)}`);
  assert.deepEqual(keepTable(7, plan).subarray(0, 4096), table.subarray(0, 4096));
  assert.notDeepEqual(keepTable(8, plan).subarray(0, 4096), table.subarray(0, 4096));
});

test('training-mode Dropout nodes become table windows in onnxruntime; eval-mode ones are left alone', async () => {
  const g = new GraphBuilder('sites');
  const ratio = g.scalar(RATIO);
  const on = g.constant(tensor.bool([], [true]));
  const off = g.constant(tensor.bool([], [false]));
  const offsets = g.input('offsets', DataType.INT64, [SHAPES.length]);
  const outs = SHAPES.map((shape, i) => {
    const x = g.input(`x${i}`, DataType.FLOAT, shape);
    return g.op('Dropout', [x, ratio, on], { seed: attr.float(1) }, { outputs: [`y${i}`] });
  });
  const evalX = g.input('x_eval', DataType.FLOAT, [4]);
  g.op('Dropout', [evalX, ratio, off], {}, { outputs: ['y_eval'] });
  [...outs, 'y_eval'].forEach((y, i) => g.output(y, DataType.FLOAT, i < SHAPES.length ? SHAPES[i] : [4]));
  const built = g.build();
  const table = { name: 'table', elemType: DataType.FLOAT, shape: ['n'] };
  const { graph, sizes, ratio: r } = tableDropout(built, OPSET, [table], { table: 'table', offsets });
  assert.deepEqual(sizes, [12, 10]);
  assert.equal(r, RATIO);
  assert.equal(graph.nodes.filter((n) => n.opType === 'Dropout').length, 1, 'the eval-mode Dropout stays');

  const plan: DropoutPlan = { sizes, ratio: RATIO, tableSize: tableSizeFor(sizes) };
  const bits = keepTable(11, plan);
  const outer = new GraphBuilder('with_table', 'outer/');
  tableConstant(outer, 'table', bits, RATIO);
  const session = await createSession(modelOf({ ...graph, nodes: [...outer.nodes, ...graph.nodes] }));
  const offs = maskOffsets(11, 42, 1, plan);
  const xs = SHAPES.map((s, i) => Float32Array.from({ length: s[0]! * s[1]! }, (_, k) => k + 1 + 100 * i));
  const out = await runSession(session, {
    offsets: { dataType: DataType.INT64, dims: [SHAPES.length], data: offs },
    ...Object.fromEntries(xs.map((x, i) => [`x${i}`, { dataType: DataType.FLOAT, dims: SHAPES[i]!, data: x }])),
    x_eval: { dataType: DataType.FLOAT, dims: [4], data: Float32Array.of(1, 2, 3, 4) },
  });
  await session.release();
  xs.forEach((x, i) => {
    const o = Number(offs[i]);
    const expected = Array.from(x, (v, k) => Math.fround(v * Math.fround(bits[o + k]!) * Math.fround(1 / (1 - RATIO))));
    assert.deepEqual(Array.from(out[`y${i}`]!.data as Float32Array), expected, `site ${i}`);
  });
  assert.deepEqual(Array.from(out.y_eval!.data as Float32Array), [1, 2, 3, 4]);
});

test('table dropout names a Dropout it cannot serve', () => {
  const g = new GraphBuilder('bad');
  const x = g.input('x', DataType.FLOAT, ['n', 3]);
  const mode = g.input('mode', DataType.BOOL, []);
  g.op('Dropout', [x, g.scalar(0.1), mode], {}, { outputs: ['y'], name: 'drop_here' });
  assert.throws(() => tableDropout(g.build(), OPSET, [], { table: 't', offsets: 'o' }), /Dropout node "drop_here" needs a constant training_mode/);
  const h = new GraphBuilder('dynamic');
  const hx = h.input('x', DataType.FLOAT, ['n', 3]);
  h.op('Dropout', [hx, h.scalar(0.1), h.constant(tensor.bool([], [true]))], {}, { outputs: ['y'], name: 'drop_dyn' });
  assert.throws(() => tableDropout(h.build(), OPSET, [], { table: 't', offsets: 'o' }), /Dropout node "drop_dyn" has input shape \[n,3\], which is not static/);
});
