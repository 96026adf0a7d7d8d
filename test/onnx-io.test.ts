// ONNX serialisation: decoding a real PyTorch export, byte-stable re-encoding, the typed
// *_data fields, subgraphs, and one clear error for every kind of bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GraphBuilder, attr, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { DataType, type Model } from '../pipeline/lib/onnx/ir.ts';
import { OnnxFormatError, decodeModel, encodeModel, readModelFile, writeModelFile } from '../pipeline/lib/onnx/io.ts';
import { onnxTypes, type ModelMsg } from '../pipeline/lib/onnx/proto.ts';
import { decodeSafetensors } from '../pipeline/lib/util/safetensors.ts';
import { FIXTURE } from './helpers/fixture.ts';

const MODEL_PATH = `${FIXTURE}/model.onnx`;
const T = { timeout: 30_000 };

/** The fixture as protobufjs messages, for building broken variants of a real file. */
function fixtureMsg(): ModelMsg {
  return onnxTypes().ModelProto.decode(readFileSync(MODEL_PATH)) as unknown as ModelMsg;
}
function encodeMsg(msg: object): Uint8Array {
  return onnxTypes().ModelProto.encode(msg).finish();
}
function throwsOnnx(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OnnxFormatError, `expected OnnxFormatError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('decodes the PyTorch-exported seed model', T, () => {
  const model = readModelFile(MODEL_PATH);
  assert.equal(model.irVersion, 8);
  assert.deepEqual(model.opsetImports, [{ domain: '', version: 17 }]);
  assert.equal(model.producerName, 'pytorch');
  const g = model.graph;
  assert.deepEqual(g.inputs, [{ name: 'tokens', elemType: DataType.INT64, shape: ['batch', 10] }]);
  assert.equal(g.outputs.length, 1);
  assert.equal(g.outputs[0]!.name, 'pred');
  assert.equal(g.outputs[0]!.elemType, DataType.FLOAT);
  assert.equal(g.outputs[0]!.shape?.[0], 'batch');
  assert.equal(g.nodes.length, 256);
  // fixtures/README.md says 26 op types; the file holds these 22 (no Trilu, no Expand).
  const ops = [...new Set(g.nodes.map((n) => n.opType))].sort();
  assert.deepEqual(ops, [
    'Add', 'Cast', 'Concat', 'Constant', 'ConstantOfShape', 'Div', 'Gather', 'Gemm', 'LayerNormalization', 'MatMul', 'Mul',
    'Range', 'Relu', 'Reshape', 'Shape', 'Sigmoid', 'Slice', 'Softmax', 'Squeeze', 'Transpose', 'Unsqueeze', 'Where',
  ]);
  // raw_data decoding: the embedding equals PyTorch's state_dict entry bit for bit.
  const emb = g.initializers.find((t) => t.name === 'embedding.weight')!;
  assert.deepEqual(emb.dims, [26, 64]);
  const weights = decodeSafetensors(readFileSync(`${FIXTURE}/weights.safetensors`)).tensors;
  assert.deepEqual(emb.data, weights['embedding.weight']!.data);
  // Constant nodes carry int64 tensors as BigInt64Array.
  const c = g.nodes.find((n) => n.opType === 'Constant')!.attributes['value'];
  assert.equal(c?.kind, 'tensor');
  if (c?.kind === 'tensor') assert.ok(c.value.data instanceof BigInt64Array);
});

test('re-encoding round-trips structurally and is byte-stable', T, () => {
  const model = readModelFile(MODEL_PATH);
  const bytes = encodeModel(model);
  const again = decodeModel(bytes, 're-encoded');
  assert.deepStrictEqual(again, model);
  assert.deepEqual(encodeModel(again), bytes);
});

test('writeModelFile / readModelFile', T, () => {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-io-'));
  try {
    const model = readModelFile(MODEL_PATH);
    const path = join(dir, 'sub', 'copy.onnx');
    writeModelFile(path, model);
    assert.deepStrictEqual(readModelFile(path), model);
    throwsOnnx(() => readModelFile(join(dir, 'missing.onnx')), /missing\.onnx: cannot read ONNX model \(ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reads the typed *_data fields and symbolic / unknown dims', T, () => {
  const bytes = encodeMsg({
    ir_version: 8,
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: 'typed',
      node: [{ name: 'id', op_type: 'Identity', input: ['f'], output: ['y'] }],
      initializer: [
        { name: 'f', data_type: 1, dims: [2, 2], float_data: [1, 2.5, -3, 4] },
        { name: 'd', data_type: 11, dims: [2], double_data: [0.1, -1e300] },
        { name: 'i64', data_type: 7, dims: [3], int64_data: ['9007199254740993', '-9223372036854775808', -5] },
        { name: 'i32', data_type: 6, dims: [2], int32_data: [-7, 2147483647] },
        { name: 'i8', data_type: 3, dims: [2], int32_data: [-128, 127] },
        { name: 'u8', data_type: 2, dims: [2], int32_data: [255, 3] },
        { name: 'b', data_type: 9, dims: [3], int32_data: [1, 0, 1] },
        { name: 'empty', data_type: 1, dims: [0, 4] },
      ],
      output: [{ name: 'y', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: 2 }, { dim_param: 'n' }, {}] } } } }],
    },
  });
  const g = decodeModel(bytes, 'typed.onnx').graph;
  const init = Object.fromEntries(g.initializers.map((t) => [t.name, t]));
  assert.deepEqual(init['f']!.data, Float32Array.from([1, 2.5, -3, 4]));
  assert.deepEqual(init['d']!.data, Float64Array.from([0.1, -1e300]));
  assert.deepEqual(init['i64']!.data, BigInt64Array.from([9007199254740993n, -9223372036854775808n, -5n]));
  assert.deepEqual(init['i32']!.data, Int32Array.from([-7, 2147483647]));
  assert.deepEqual(init['i8']!.data, Int8Array.from([-128, 127]));
  assert.deepEqual(init['u8']!.data, Uint8Array.from([255, 3]));
  assert.deepEqual(init['b']!.data, Uint8Array.from([1, 0, 1]));
  assert.deepEqual(init['empty']!.data, new Float32Array(0));
  assert.deepEqual(g.outputs[0]!.shape, [2, 'n', '']);
  // ...and they come back the same after being rewritten as raw_data.
  const model = decodeModel(bytes, 'typed.onnx');
  assert.deepStrictEqual(decodeModel(encodeModel(model), 'rewritten'), model);
});

test('int attributes: exact when safe, INT64 sentinels saturate back to themselves', T, () => {
  const b = new GraphBuilder('attrs');
  const x = b.input('x', DataType.FLOAT, [4]);
  const y = b.op('Slice', [x], { starts: attr.ints([1]), ends: attr.ints([2 ** 63]), axes: attr.ints([-1]) });
  b.op('Identity', [y], { note: attr.string('héllo'), alpha: attr.float(0.1), big: attr.int(-(2 ** 70)) }, { outputs: ['out'] });
  b.output('out', DataType.FLOAT);
  const model = modelOf(b.build());
  const msg = onnxTypes().ModelProto.decode(encodeModel(model)) as unknown as ModelMsg;
  const ends = msg.graph!.node[0]!.attribute.find((a) => a.name === 'ends')!.ints[0]!;
  assert.equal(String(ends), '9223372036854775807');
  const big = msg.graph!.node[1]!.attribute.find((a) => a.name === 'big')!.i;
  assert.equal(String(big), '-9223372036854775808');
  const back = decodeModel(encodeModel(model), 'attrs');
  const attrs = back.graph.nodes[1]!.attributes;
  assert.deepEqual(attrs['note'], { kind: 'string', value: 'héllo' });
  assert.equal(attrs['alpha']?.kind, 'float');
  assert.equal(attrs['alpha']?.value, Math.fround(0.1));
  assert.deepEqual(back.graph.nodes[0]!.attributes['axes'], { kind: 'ints', value: [-1] });
  // INT64_MAX read back is 2^63 as a double, which writes INT64_MAX again.
  assert.deepEqual(back.graph.nodes[0]!.attributes['ends'], { kind: 'ints', value: [2 ** 63] });
  assert.deepEqual(encodeModel(back), encodeModel(model));
  assert.throws(() => encodeModel(modelOf({ ...b.build(), nodes: [{ ...b.nodes[0]!, attributes: { starts: attr.int(1.5) } }, b.nodes[1]!] })), /"starts" of node "Slice" \(Slice\) has int value 1.5, which is not an integer/);
});

/** A graph whose Loop body reads `x` from the enclosing scope. */
function loopModel(bodyReads: string): Model {
  const body = new GraphBuilder('body', 'body_');
  body.input('i', DataType.INT64, []);
  const cond = body.input('cond_in', DataType.BOOL, []);
  const acc = body.input('acc', DataType.FLOAT, [3]);
  body.op('Identity', [cond], {}, { outputs: ['cond_out'] });
  body.op('Add', [acc, bodyReads], {}, { outputs: ['acc_out'] });
  body.output('cond_out', DataType.BOOL, []);
  body.output('acc_out', DataType.FLOAT, [3]);
  const main = new GraphBuilder('main');
  const x = main.input('x', DataType.FLOAT, [3]);
  const k = main.input('K', DataType.INT64, []);
  const acc0 = main.initializer('acc0', tensor.float32([3], [0, 0, 0]));
  main.node('Loop', [k, '', acc0], { body: attr.graph(body.build()) }, { outputs: ['sum'] });
  main.output('sum', DataType.FLOAT, [3]);
  void x;
  return modelOf(main.build());
}

test('subgraphs: outer-scope values are legal, dangling ones are not', T, () => {
  const ok = loopModel('x');
  assert.deepStrictEqual(decodeModel(encodeModel(ok), 'loop'), ok);
  const bad = loopModel('nowhere');
  throwsOnnx(() => encodeModel(bad), /subgraph "body" of node "Loop" \(Loop\): node "body_Add" \(Add\) reads "nowhere", which is neither produced by a node nor a graph input or initializer/);
});

// ---- Errors on real files turned bad

test('float16 initializer: names the tensor and the type', T, () => {
  const msg = fixtureMsg();
  const t = msg.graph!.initializer.find((i) => i.name === 'fc.bias')!;
  t.data_type = 10;
  t.raw_data = t.raw_data.subarray(0, 2);
  throwsOnnx(() => decodeModel(encodeMsg(msg), 'half.onnx'), /^half\.onnx: initializer "fc\.bias" has data type FLOAT16, which is not supported \(supported: FLOAT, /);
});

test('dangling node input', T, () => {
  const msg = fixtureMsg();
  const node = msg.graph!.node.find((n) => n.op_type === 'Gemm')!;
  node.input[0] = 'no_such_value';
  throwsOnnx(
    () => decodeModel(encodeMsg(msg), 'dangling.onnx'),
    new RegExp(`^dangling\\.onnx: node "${node.name.replace(/[./]/g, '\\$&')}" \\(Gemm\\) reads "no_such_value", which is neither produced by a node nor a graph input or initializer$`),
  );
});

test('nodes out of topological order', T, () => {
  const msg = fixtureMsg();
  msg.graph!.node.reverse();
  throwsOnnx(() => decodeModel(encodeMsg(msg), 'reversed.onnx'), /^reversed\.onnx: node .* reads ".*" before node .* produces it \(nodes must be in topological order\)$/);
});

test('external data, sparse initializers, no graph, functions', T, () => {
  let msg = fixtureMsg();
  const t = msg.graph!.initializer[0]!;
  t.raw_data = new Uint8Array(0);
  t.data_location = 1;
  t.external_data = [{ key: 'location', value: 'weights.bin' }];
  throwsOnnx(() => decodeModel(encodeMsg(msg), 'ext.onnx'), /^ext\.onnx: initializer "embedding\.weight" keeps its data in an external file \("weights\.bin"\); external data is not supported/);

  msg = fixtureMsg();
  msg.graph!.sparse_initializer = [{ dims: [4] }];
  throwsOnnx(() => decodeModel(encodeMsg(msg), 'sparse.onnx'), /^sparse\.onnx: graph "torch_jit" has 1 sparse initializer\(s\), which are not supported$/);

  msg = fixtureMsg();
  msg.graph = null;
  throwsOnnx(() => decodeModel(encodeMsg(msg), 'nograph.onnx'), /^nograph\.onnx: not an ONNX model: it has no graph/);

  msg = fixtureMsg();
  msg.functions = [{ name: 'MyFn' }];
  throwsOnnx(() => decodeModel(encodeMsg(msg), 'fn.onnx'), /^fn\.onnx: the model defines local functions \(MyFn\), which are not supported$/);

  msg = fixtureMsg();
  msg.graph!.initializer[1]!.raw_data = msg.graph!.initializer[1]!.raw_data.subarray(4);
  throwsOnnx(() => decodeModel(encodeMsg(msg), 'short.onnx'), /^short\.onnx: initializer "pos_embedding\.weight" has shape \[10,64\] of FLOAT, which needs 2560 bytes but raw_data holds 2556$/);
});

// ---- Garbage: decoded in a child process so that a hang fails the test instead of
// freezing the runner (a synchronous loop cannot be interrupted by a test timeout).

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Outcome { source: string; name: string; message: string }

function decodeInChild(cases: { source: string; bytes: Uint8Array }[], timeoutMs: number): Outcome[] {
  const ioUrl = new URL('../pipeline/lib/onnx/io.ts', import.meta.url).href;
  const script = `
    const { decodeModel } = await import(${JSON.stringify(ioUrl)});
    const chunks = []; for await (const c of process.stdin) chunks.push(c);
    const out = [];
    for (const { source, b64 } of JSON.parse(Buffer.concat(chunks).toString())) {
      try { decodeModel(Buffer.from(b64, 'base64'), source); out.push({ source, name: 'none', message: 'decoded' }); }
      catch (e) { out.push({ source, name: e.name, message: e.message }); }
    }
    process.stdout.write(JSON.stringify(out));`;
  const input = JSON.stringify(cases.map((c) => ({ source: c.source, b64: Buffer.from(c.bytes).toString('base64') })));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    input, timeout: timeoutMs, encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)), maxBuffer: 64 << 20,
  });
  assert.ok(!r.error, `decoding child failed or hung (> ${timeoutMs} ms): ${r.error?.message}`);
  assert.equal(r.status, 0, `decoding child crashed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Outcome[];
}

test('random bytes, truncated files and an empty file each give one clear error, never a hang', { timeout: 120_000 }, () => {
  const rand = mulberry32(12345);
  const real = readFileSync(MODEL_PATH);
  const cases: { source: string; bytes: Uint8Array }[] = [{ source: 'empty.onnx', bytes: new Uint8Array(0) }];
  for (let k = 0; k < 300; k++) {
    const n = 1 + Math.floor(rand() * (k < 200 ? 64 : 300_000));
    cases.push({ source: `random-${k}.bin`, bytes: Uint8Array.from({ length: n }, () => Math.floor(rand() * 256)) });
  }
  for (const cut of [1, 2, 5, 17, 100, 1000, 50_000, 100_000, 200_000, real.length - 100, real.length - 1]) {
    cases.push({ source: `truncated-${cut}.onnx`, bytes: real.subarray(0, cut) });
  }
  const outcomes = decodeInChild(cases, 90_000);
  assert.equal(outcomes.length, cases.length);
  for (const o of outcomes) {
    assert.equal(o.name, 'OnnxFormatError', `${o.source}: ${o.message}`);
    assert.ok(o.message.startsWith(`${o.source}: `), o.message);
  }
  const bySource = new Map(outcomes.map((o) => [o.source, o.message]));
  assert.equal(bySource.get('empty.onnx'), 'empty.onnx: empty file (0 bytes), not an ONNX model');
  for (const [source, message] of bySource) {
    if (source.startsWith('random-') || source.startsWith('truncated-')) {
      assert.match(message, /: not (a valid ONNX model|an ONNX model)/, message);
    }
  }
  assert.match(bySource.get('truncated-100000.onnx')!, /^truncated-100000\.onnx: not a valid ONNX model: protobuf decoding failed \(index out of range: .*\); the file is truncated, corrupt or not ONNX$/);
});
