// onnxruntime glue: the re-encoded PyTorch model reproduces PyTorch's predictions, a Loop
// with a subgraph survives serialisation and computes the right numbers, tensor
// conversions keep every supported type, and CUDA never silently becomes CPU.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { GraphBuilder, attr, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { DataType, type TensorValue } from '../pipeline/lib/onnx/ir.ts';
import { decodeModel, encodeModel, readModelFile } from '../pipeline/lib/onnx/io.ts';
import { createSession, fromOrt, runSession, toOrt } from '../pipeline/lib/onnx/ort.ts';
import { decodeSafetensors, requireTensor } from '../pipeline/lib/util/safetensors.ts';
import { FIXTURE } from './helpers/fixture.ts';

const T = { timeout: 60_000 };

test('re-encoded seed model reproduces PyTorch predictions in onnxruntime', T, async () => {
  const model = decodeModel(encodeModel(readModelFile(`${FIXTURE}/model.onnx`)), 're-encoded');
  const source = `${FIXTURE}/predictions.safetensors`;
  const { tensors } = decodeSafetensors(readFileSync(source), source);
  const x = requireTensor(tensors, 'x', source, 'I64');
  const pred = requireTensor(tensors, 'pred', source, 'F32');
  const session = await createSession(model);
  const out = await runSession(session, { tokens: { dataType: DataType.INT64, dims: x.shape, data: x.data } });
  const got = out['pred']!;
  assert.equal(got.dataType, DataType.FLOAT);
  assert.deepEqual(got.dims, pred.shape);
  let maxDiff = 0;
  for (let i = 0; i < pred.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs((got.data[i] as number) - (pred.data[i] as number)));
  assert.ok(maxDiff <= 1e-5, `max |onnxruntime - PyTorch| = ${maxDiff}`);
  await session.release();
});

/**
 * sum = Σ_{k<K} x via a Loop whose body reads `x` from the outer scope, with two scan
 * outputs: the running sums [K,3] and the iteration numbers as floats [K].
 */
function loopModel() {
  const body = new GraphBuilder('body', 'body_');
  const i = body.input('i', DataType.INT64, []);
  const cond = body.input('cond_in', DataType.BOOL, []);
  const acc = body.input('acc', DataType.FLOAT, [3]);
  body.op('Identity', [cond], {}, { outputs: ['cond_out'] });
  body.op('Add', [acc, 'x'], {}, { outputs: ['acc_out'] });
  body.op('Identity', ['acc_out'], {}, { outputs: ['scan_acc'] });
  body.op('Cast', [i], { to: attr.int(DataType.FLOAT) }, { outputs: ['scan_i'] });
  body.output('cond_out', DataType.BOOL, []);
  body.output('acc_out', DataType.FLOAT, [3]);
  body.output('scan_acc', DataType.FLOAT, [3]);
  body.output('scan_i', DataType.FLOAT, []);

  const main = new GraphBuilder('loop_main');
  main.input('x', DataType.FLOAT, [3]);
  const k = main.input('K', DataType.INT64, []);
  const acc0 = main.initializer('acc0', tensor.float32([3], [0, 0, 0]));
  main.node('Loop', [k, '', acc0], { body: attr.graph(body.build()) }, { outputs: ['sum', 'sums', 'iters'] });
  main.output('sum', DataType.FLOAT, [3]);
  main.output('sums', DataType.FLOAT, ['K', 3]);
  main.output('iters', DataType.FLOAT, ['K']);
  return modelOf(main.build());
}

test('a Loop with a body subgraph round-trips and runs with the right numbers', T, async () => {
  const model = loopModel();
  const decoded = decodeModel(encodeModel(model), 'loop.onnx');
  assert.deepStrictEqual(decoded, model);
  const session = await createSession(decoded);
  const K = 5;
  const out = await runSession(session, {
    x: tensor.float32([3], [1, -2, 0.5]),
    K: tensor.int64([], [K]),
  });
  assert.deepEqual(out['sum'], tensor.float32([3], [5, -10, 2.5]));
  const sums: number[] = [];
  for (let k = 1; k <= K; k++) sums.push(k, -2 * k, 0.5 * k);
  assert.deepEqual(out['sums'], tensor.float32([K, 3], sums));
  assert.deepEqual(out['iters'], tensor.float32([K], [0, 1, 2, 3, 4]));
  await session.release();
});

test('toOrt / fromOrt keep every supported type through a session', T, async () => {
  const values: Record<string, TensorValue> = {
    f32: tensor.float32([2, 2], [1.5, -2, 3e-8, 4]),
    f64: tensor.float64([3], [0.1, -1e300, 7]),
    i64: tensor.int64([2], [9007199254740993n, -9223372036854775808n]),
    i32: tensor.int32([2], [-7, 2147483647]),
    i8: { dataType: DataType.INT8, dims: [2], data: Int8Array.from([-128, 127]) },
    u8: { dataType: DataType.UINT8, dims: [2], data: Uint8Array.from([0, 255]) },
    b: tensor.bool([1, 3], [true, false, true]),
    scalar: tensor.float32([], [42]),
  };
  const b = new GraphBuilder('identity');
  for (const [name, v] of Object.entries(values)) {
    b.input(name, v.dataType, v.dims);
    b.op('Identity', [name], {}, { outputs: [`${name}_out`] });
    b.output(`${name}_out`, v.dataType, v.dims);
  }
  const session = await createSession(modelOf(b.build()));
  const out = await runSession(session, values);
  for (const [name, v] of Object.entries(values)) assert.deepStrictEqual(out[`${name}_out`], v, name);
  // The conversions alone: the types onnxruntime reports.
  assert.equal(toOrt(values['b']!).type, 'bool');
  assert.equal(toOrt(values['i64']!).type, 'int64');
  assert.deepStrictEqual(fromOrt(toOrt(values['f64']!)), values['f64']);
  await session.release();
});

test('session options are checked', T, async () => {
  const model = loopModel();
  await assert.rejects(createSession(model, { threads: 0 }), /threads must be a positive integer, got 0/);
  const s = await createSession(model, { threads: 2, graphOptimizationLevel: 'disabled' });
  await s.release();
});

test('cuda: works where its provider is installed, otherwise fails loudly (no CPU fallback)', T, async () => {
  // The CUDA provider, where present, sits next to libonnxruntime.so.1 (DESIGN.md, Devices).
  const binding = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
  const libDir = join(binding, '..', 'bin', 'napi-v6', process.platform, process.arch);
  const hasCuda = existsSync(join(libDir, 'libonnxruntime_providers_cuda.so'));
  if (hasCuda) {
    const s = await createSession(loopModel(), { device: 'cuda' });
    await s.release();
  } else {
    await assert.rejects(
      createSession(loopModel(), { device: 'cuda' }),
      /^Error: onnxruntime: could not create a session on the CUDA execution provider \(.*\)\. Not falling back to CPU/,
    );
  }
});
