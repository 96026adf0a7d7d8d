// The whole-model gradient of the PyTorch-exported seed transformer (26 op types, symbolic
// batch): its float initializers lifted to inputs, loss = MSE of `pred` against the training
// targets. Checked against central finite differences in a float64 copy of the model, and
// the float32 gradient against the float64 one. (Its speed is bench/sgld.ts's business.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { addModelGradients } from '../pipeline/lib/autodiff/grad.ts';
import { GraphBuilder, attr } from '../pipeline/lib/onnx/builder.ts';
import { DataType, type AttrValue, type Model, type Node, type TensorValue } from '../pipeline/lib/onnx/ir.ts';
import { readModelFile } from '../pipeline/lib/onnx/io.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { decodeSafetensors, requireTensor } from '../pipeline/lib/util/safetensors.ts';
import { FIXTURE } from './helpers/fixture.ts';

const T = { timeout: 300_000 };

/** The fixture with its float initializers as graph inputs (returned as feeds) and
 * loss = mean((pred - y)²) appended, in float32 or float64. */
function lossModel(type: DataType.FLOAT | DataType.DOUBLE): { model: Model; params: Record<string, TensorValue> } {
  const source = readModelFile(`${FIXTURE}/model.onnx`);
  const model = type === DataType.DOUBLE ? toDouble(source) : source;
  const g = model.graph;
  const lifted = g.initializers.filter((i) => i.dataType === type);
  const params = Object.fromEntries(lifted.map(({ name, ...value }) => [name, value]));
  const b = new GraphBuilder('loss', 'loss/');
  const y = b.input('y', type, ['batch', 10]);
  const d = b.op('Sub', ['pred', y]);
  b.op('ReduceMean', [b.op('Mul', [d, d])], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const graph = {
    ...g,
    initializers: g.initializers.filter((i) => i.dataType !== type),
    inputs: [...g.inputs, ...lifted.map((i) => ({ name: i.name, elemType: type, shape: i.dims })), ...b.inputs],
    nodes: [...g.nodes, ...b.nodes],
    outputs: [...g.outputs, { name: 'loss', elemType: type, shape: [] }],
  };
  return { model: { ...model, graph }, params };
}

/** The same network in float64: float tensors, constants, casts and I/O become double. */
function toDouble(model: Model): Model {
  const double = (t: TensorValue): TensorValue =>
    t.dataType === DataType.FLOAT ? { dataType: DataType.DOUBLE, dims: t.dims, data: Float64Array.from(t.data as Float32Array) } : t;
  const convertAttr = (a: AttrValue): AttrValue => (a.kind === 'tensor' ? { kind: 'tensor', value: double(a.value) } : a);
  const convertNode = (n: Node): Node => {
    const attributes = Object.fromEntries(Object.entries(n.attributes).map(([k, a]) => [k, convertAttr(a)]));
    if (n.opType === 'Cast' && n.attributes.to?.value === DataType.FLOAT) attributes.to = attr.int(DataType.DOUBLE);
    return { ...n, attributes };
  };
  const io = <V extends { elemType: DataType }>(v: V): V => (v.elemType === DataType.FLOAT ? { ...v, elemType: DataType.DOUBLE } : v);
  const g = model.graph;
  return {
    ...model,
    graph: {
      ...g,
      nodes: g.nodes.map(convertNode),
      inputs: g.inputs.map(io),
      outputs: g.outputs.map(io),
      initializers: g.initializers.map((i) => ({ name: i.name, ...double(i) })),
    },
  };
}

/** The first `batch` training samples as feeds of the given float type. */
function trainingFeeds(batch: number, type: DataType): Record<string, TensorValue> {
  const source = `${FIXTURE}/train.safetensors`;
  const { tensors } = decodeSafetensors(readFileSync(source), source);
  const x = requireTensor(tensors, 'x', source, 'I64');
  const y = requireTensor(tensors, 'y', source, 'F32');
  const targets = (y.data as Float32Array).slice(0, batch * 10);
  return {
    tokens: { dataType: DataType.INT64, dims: [batch, 10], data: (x.data as BigInt64Array).slice(0, batch * 10) },
    y: { dataType: type, dims: [batch, 10], data: type === DataType.DOUBLE ? Float64Array.from(targets) : targets },
  };
}

async function loss(session: InferenceSession, feeds: Record<string, TensorValue>): Promise<number> {
  return (await runSession(session, feeds, ['loss'])).loss!.data[0] as number;
}

test('seed model: float64 gradient matches central finite differences', T, async () => {
  const { model, params } = lossModel(DataType.DOUBLE);
  const names = Object.keys(params);
  assert.equal(names.length, 28);
  const { model: gradModel, gradients } = addModelGradients(model, 'loss', names);
  const feeds = { ...trainingFeeds(64, DataType.DOUBLE), ...params };
  const gradSession = await createSession(gradModel);
  const lossSession = await createSession(model);
  const out = await runSession(gradSession, feeds);
  assert.equal(out.loss!.data[0], await loss(lossSession, feeds), 'the gradient graph computes the same loss');
  let checked = 0;
  for (const name of names) {
    const g = out[gradients[name]!]!.data as Float64Array;
    const base = params[name]!;
    // The largest gradient entry plus a spread of others (some are exactly 0 in theory,
    // such as the key bias, to which softmax is invariant).
    const largest = g.reduce((best, v, i) => (Math.abs(v) > Math.abs(g[best]!) ? i : best), 0);
    const coords = [largest, 0, Math.floor(g.length / 3), Math.floor((2 * g.length) / 3), g.length - 1];
    for (const j of coords) {
      const centralDifference = async (h: number): Promise<number> => {
        const shifted = (delta: number): Record<string, TensorValue> => {
          const data = (base.data as Float64Array).slice();
          data[j] = data[j]! + delta;
          return { ...feeds, [name]: { ...base, data } };
        };
        return ((await loss(lossSession, shifted(h))) - (await loss(lossSession, shifted(-h)))) / (2 * h);
      };
      // Rounding in the loss (~1e-16 relative, loss ~0.04) over a step h gives the absolute
      // tolerance. A ReLU input within h of 0 puts a kink inside the difference: then a
      // smaller step.
      const close = (fd: number, h: number): boolean => Math.abs(g[j]! - fd) <= 1e-16 / h + 1e-5 * Math.abs(fd);
      const fd = await centralDifference(1e-6);
      const fdFine = close(fd, 1e-6) ? fd : await centralDifference(1e-8);
      assert.ok(close(fdFine, 1e-8), `d loss / d ${name}[${j}] = ${g[j]}, finite differences give ${fd} (step 1e-6), ${fdFine} (step 1e-8)`);
      checked++;
    }
  }
  assert.equal(checked, 5 * names.length);
  await gradSession.release();
  await lossSession.release();
});

test('seed model: float32 gradient agrees with the float64 one', T, async () => {
  const runs = await Promise.all(
    ([DataType.FLOAT, DataType.DOUBLE] as const).map(async (type) => {
      const { model, params } = lossModel(type);
      const { model: gradModel, gradients } = addModelGradients(model, 'loss', Object.keys(params));
      const session = await createSession(gradModel);
      const out = await runSession(session, { ...trainingFeeds(256, type), ...params });
      await session.release();
      return Object.fromEntries(Object.entries(gradients).map(([name, output]) => [name, Array.from(out[output]!.data as ArrayLike<number>)]));
    }),
  );
  const [single, double] = runs as [Record<string, number[]>, Record<string, number[]>];
  for (const [name, g64] of Object.entries(double)) {
    const scale = Math.max(...g64.map(Math.abs));
    const worst = Math.max(...g64.map((v, i) => Math.abs(v - single[name]![i]!)));
    assert.ok(worst <= 1e-3 * scale + 1e-9, `${name}: float32 differs from float64 by ${worst} (largest entry ${scale})`);
  }
});
