// One model, two differentiators: the gradient of the seed model's MSE from our ONNX
// autodiff (run in onnxruntime) against tfjs' own tf.grads through the interpreter, on the
// same weights and batch.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { addModelGradients } from '../pipeline/lib/autodiff/grad.ts';
import { decodeSafetensors, requireTensor } from '../pipeline/lib/util/safetensors.ts';
import { SEED_MODEL_CONFIG, seedParameters } from '../pipeline/lib/model/config.ts';
import { buildSeedModel } from '../pipeline/lib/model/seed-model.ts';
import { GraphBuilder, attr } from '../pipeline/lib/onnx/builder.ts';
import { DataType } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { initBackend } from '../pipeline/lib/tfjs/backend.ts';
import { TfjsInterpreter } from '../pipeline/lib/tfjs/interpreter.ts';
import { initialWeights } from '../stages/train/init.ts';
import { FIXTURE } from './helpers/fixture.ts';

const ROWS = 64;

test('seed model: the ONNX autodiff gradient equals tfjs tf.grads on the same weights', { timeout: 120_000 }, async () => {
  const cfg = SEED_MODEL_CONFIG;
  const params = seedParameters(cfg);
  // Freshly initialised weights: the fixture's are so small that attention gradients vanish.
  const weights = initialWeights(params, 3);
  const source = `${FIXTURE}/train.safetensors`;
  const { tensors } = decodeSafetensors(readFileSync(source), source);
  const x = (requireTensor(tensors, 'x', source, 'I64').data as BigInt64Array).slice(0, ROWS * cfg.seqLen);
  const y = (requireTensor(tensors, 'y', source, 'F32').data as Float32Array).slice(0, ROWS * cfg.seqLen);

  // ONNX: the eval graph, then loss = mean((pred − y)²), then its gradient.
  const model = buildSeedModel(cfg, { training: false, weights });
  const b = new GraphBuilder('loss', 'loss/');
  const target = b.input('y', DataType.FLOAT, ['batch', cfg.seqLen]);
  const d = b.op('Sub', ['pred', target]);
  b.op('ReduceMean', [b.op('Mul', [d, d])], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const g = model.graph;
  const withLoss = { ...model, graph: { ...g, inputs: [...g.inputs, ...b.inputs], nodes: [...g.nodes, ...b.nodes], outputs: [...g.outputs, { name: 'loss', elemType: DataType.FLOAT, shape: [] }] } };
  const { model: gradModel, gradients } = addModelGradients(withLoss, 'loss', params.map((p) => p.name));
  const session = await createSession(gradModel);
  const ort = await runSession(session, {
    tokens: { dataType: DataType.INT64, dims: [ROWS, cfg.seqLen], data: x },
    y: { dataType: DataType.FLOAT, dims: [ROWS, cfg.seqLen], data: y },
  });
  await session.release();

  // tfjs: the same graph interpreted, differentiated by tf.grads.
  await initBackend('cpu');
  const interp = new TfjsInterpreter(model);
  const tokens = tf.tensor2d(Int32Array.from(x, Number), [ROWS, cfg.seqLen], 'int32');
  const targets = tf.tensor2d(y, [ROWS, cfg.seqLen]);
  const values = params.map((p) => tf.tensor(weights[p.name]!, p.shape));
  const lossOf = (...ws: tf.Tensor[]) => {
    const { pred } = interp.run({ tokens }, Object.fromEntries(params.map((p, i) => [p.name, ws[i]!])));
    return tf.mean(tf.squaredDifference(pred!, targets));
  };
  const tfGrads = tf.grads(lossOf)(values);

  const worst: string[] = [];
  params.forEach((p, i) => {
    const ours = ort[gradients[p.name]!]!.data as Float32Array;
    const theirs = tfGrads[i]!.dataSync() as Float32Array;
    assert.equal(ours.length, theirs.length, p.name);
    const scale = Math.max(...Array.from(theirs, Math.abs));
    assert.ok(scale > 0, `${p.name}: tfjs gradient is all zero`);
    let err = 0;
    for (let k = 0; k < ours.length; k++) err = Math.max(err, Math.abs(ours[k]! - theirs[k]!));
    if (!(err <= 1e-5 * scale)) worst.push(`${p.name}: max |Δ| ${err.toExponential(2)} vs max |g| ${scale.toExponential(2)}`);
  });
  assert.deepEqual(worst, []);
  assert.ok(Math.abs((ort.loss!.data[0] as number) - lossOf(...values).dataSync()[0]!) < 1e-6);
  tf.dispose([tokens, targets, ...values, ...tfGrads]);
  interp.dispose();
});
