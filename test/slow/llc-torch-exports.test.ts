// The model families users bring, as PyTorch exported them (test/fixtures/torch-exports:
// Conv+BatchNorm+MaxPool, Erf-GELU+LayerNorm, LeakyReLU+SiLU, Conv1d+GlobalAveragePool, a
// GELU TransformerEncoderLayer): every op the gradient passes has a rule (--check-ops), the
// whole model's gradient with respect to its sampled weights matches central finite
// differences along random directions, and `pipeline llc` gives a finite λ̂ with healthy
// chains.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlcSummary } from '../../schemas/llc-summary.ts';
import { addModelGradients } from '../../pipeline/lib/autodiff/grad.ts';
import { decodeSafetensors } from '../../pipeline/lib/util/safetensors.ts';
import { GraphBuilder, attr, tensor } from '../../pipeline/lib/onnx/builder.ts';
import { DataType, type Model, type TensorValue } from '../../pipeline/lib/onnx/ir.ts';
import { readModelFile } from '../../pipeline/lib/onnx/io.ts';
import { createSession, runSession } from '../../pipeline/lib/onnx/ort.ts';
import { importOnnxModel } from '../../pipeline/lib/sgld/sampled-model.ts';
import { ROOT, pipeline, tempDir } from '../helpers/cli.ts';
import { rand } from '../helpers/grad-check.ts';

const T = { timeout: 300_000 };
const DIR = join(ROOT, 'test/fixtures/torch-exports');
const FAMILIES = ['conv-bn-pool', 'gelu-mlp', 'leaky-silu-mlp', 'conv1d-gap', 'gelu-transformer'];
/** SGLD step sizes chosen as a user would: the largest of 2e-3 and 1e-3 whose chains stay
 * healthy (at 2e-3 a conv-bn-pool chain leaves the basin and diverges). */
const LR: Record<string, string> = { 'conv-bn-pool': '1e-3' };
const ROWS = 8;

/** The model with its sampled weights as graph inputs and loss = Σ y·w over ROWS rows. */
function lossModel(model: Model, weights: string[], yDims: number[]): Model {
  const sampled = new Set(weights);
  const graph = model.graph;
  const b = new GraphBuilder('loss', 'check/');
  const w = b.input('check/w', DataType.FLOAT, yDims);
  b.op('ReduceSum', [b.op('Mul', [graph.outputs[0]!.name, w])], { keepdims: attr.int(0) }, { outputs: ['check/loss'] });
  return {
    ...model,
    graph: {
      ...graph,
      inputs: [...graph.inputs, ...graph.initializers.filter((i) => sampled.has(i.name)).map((i) => ({ name: i.name, elemType: DataType.FLOAT, shape: [...i.dims] })), ...b.build().inputs],
      initializers: graph.initializers.filter((i) => !sampled.has(i.name)),
      nodes: [...graph.nodes, ...b.nodes],
      outputs: [{ name: 'check/loss', elemType: DataType.FLOAT, shape: [] }],
    },
  };
}

for (const family of FAMILIES) {
  const modelPath = join(DIR, family, 'model.onnx');
  const dataPath = join(DIR, family, 'data.safetensors');

  test(`${family}: --check-ops finds a rule for every op the gradient passes`, T, async (t) => {
    const r = await pipeline(['llc', '--check-ops', '--model', modelPath], tempDir(t));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /every op the gradient passes has a rule/);
    assert.doesNotMatch(r.stdout, /MISSING/);
  });

  test(`${family}: the model's gradient matches finite differences along random directions`, T, async () => {
    const onnx = readModelFile(modelPath);
    const weights = importOnnxModel(onnx, modelPath).selection.weights.map((w) => w.name);
    const { tensors } = decodeSafetensors(readFileSync(dataPath));
    const x = tensors.x!;
    const rowSize = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const xs: TensorValue = tensor.float32([ROWS, ...x.shape.slice(1)], Array.from((x.data as Float32Array).subarray(0, ROWS * rowSize)));
    const yDims = [ROWS, 1];
    const model = lossModel(onnx, weights, yDims);
    const { model: withGrad, gradients } = addModelGradients(model, 'check/loss', weights);
    const session = await createSession(withGrad);
    const inits = new Map(onnx.graph.initializers.map((i) => [i.name, i]));
    const feeds: Record<string, TensorValue> = { [onnx.graph.inputs[0]!.name]: xs, 'check/w': tensor.float32(yDims, Array.from({ length: ROWS }, () => 2 * rand() - 1)) };
    for (const name of weights) feeds[name] = { ...inits.get(name)!, data: (inits.get(name)!.data as Float32Array).slice() };
    const analytic = await runSession(session, feeds);
    const lossAt = async (f: Record<string, TensorValue>): Promise<number> => (await runSession(session, f, ['check/loss']))['check/loss']!.data[0] as number;
    for (let k = 0; k < 3; k++) {
      // A random unit direction over all sampled weights.
      const v = weights.map((name) => Array.from({ length: feeds[name]!.data.length }, () => 2 * rand() - 1));
      const norm = Math.hypot(...v.flat());
      const shifted = (h: number): Record<string, TensorValue> => {
        const f = { ...feeds };
        weights.forEach((name, i) => {
          const base = feeds[name]!.data as Float32Array;
          f[name] = { ...feeds[name]!, data: base.map((d, j) => d + (h * v[i]![j]!) / norm) };
        });
        return f;
      };
      const h = 1e-3;
      const fd = ((await lossAt(shifted(h))) - (await lossAt(shifted(-h)))) / (2 * h);
      const directional = weights.reduce((s, name, i) => s + Array.from(analytic[gradients[name]!]!.data as Float32Array).reduce((a, g, j) => a + (g * v[i]![j]!) / norm, 0), 0);
      assert.ok(Math.abs(directional - fd) <= 2e-3 * (1 + Math.abs(fd)), `${family}, direction ${k}: gradient·v = ${directional}, finite differences give ${fd}`);
    }
    await session.release();
  });

  test(`${family}: pipeline llc gives a finite λ̂ with healthy chains`, T, async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'summary.json');
    const r = await pipeline(['llc', '--model', modelPath, '--data', dataPath, '--chains', '4', '--draws', '200', '--burnin', '200', '--thin', '10', '--lr', LR[family] ?? '2e-3', '--nbeta', 'auto', '--localization', '10', '--out', out], dir);
    assert.equal(r.code, 0, r.stderr);
    const summary = LlcSummary.parse(JSON.parse(readFileSync(out, 'utf8')));
    assert.ok(Number.isFinite(summary.llc_mean) && summary.llc_mean! > 0, `λ̂ = ${summary.llc_mean}`);
    assert.deepEqual(summary.diverged, []);
    assert.deepEqual(summary.health_warnings, [], summary.health_warnings.join('; '));
  });
}
