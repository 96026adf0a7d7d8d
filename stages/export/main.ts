// Stage `export`: every checkpoint of every training seed → an eval-mode ONNX model
// (seed-<s>/models/step-NNNNNN.onnx), run in onnxruntime on the test set and compared with
// the tfjs interpreter's outputs; beyond the model's own rounding bound (onnx-model.ts) the
// stage fails.
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import { splitFromTensors } from '../../schemas/dataset.ts';
import { CHECKPOINT_PATTERN, ModelConfigFile, modelName } from '../../schemas/training.ts';
import { writeFileAtomic } from '../../pipeline/lib/util/atomic.ts';
import { Progress } from '../../pipeline/lib/util/progress.ts';
import { runStage } from '../../pipeline/lib/stage/run-stage.ts';
import { seedParameters } from '../../pipeline/lib/model/config.ts';
import { readStateDict } from '../../pipeline/lib/model/state-dict.ts';
import { encodeModel } from '../../pipeline/lib/onnx/io.ts';
import { initBackend } from '../../pipeline/lib/tfjs/backend.ts';
import { exportModel, parity as checkParity, parityBreach } from './onnx-model.ts';

await runStage('export', async (ctx) => {
  const test = splitFromTensors(ctx.readSafetensorsInput('generate', 'test.safetensors'), 'generate/test.safetensors');
  const modelFile = ctx.readJsonInput('train', 'model.json', ModelConfigFile);
  const { schema: _s, schema_version: _v, ...cfg } = modelFile;
  const checkpoints = ctx.inputsMatching('train', CHECKPOINT_PATTERN);
  if (checkpoints.length === 0) throw new Error('the train stage wrote no checkpoints (train.steps < train.checkpoint_every?)');
  const backend = await initBackend(ctx.config.train.backend);
  ctx.runtime.tfjs_backend = backend.name;
  ctx.tools['tfjs-core'] = tf.version_core;
  ctx.tools[`tfjs-backend-${backend.name}`] = backend.version;
  ctx.tools['onnxruntime-node'] = ort.env.versions.node ?? 'unknown';
  ctx.writeJson('model.json', modelFile);

  const params = seedParameters(cfg);
  const parity: Record<string, number> = {};
  const tolerance: Record<string, number> = {};
  const progress = new Progress('export', checkpoints.length);
  for (const [i, { path, match }] of checkpoints.entries()) {
    const [seed, step] = [Number(match[1]), Number(match[2])];
    const { weights } = readStateDict(path, params);
    const model = exportModel(cfg, weights);
    const bytes = encodeModel(model);
    const { diff, bound } = await checkParity(cfg, weights, bytes, test.tokens, test.n, test.seqLen);
    const name = modelName(seed, step);
    parity[name] = diff;
    tolerance[name] = bound;
    if (!(diff <= bound)) throw new Error(`${name}: onnxruntime and tfjs (${backend.name}) on the test set ${parityBreach(diff, bound)}`);
    writeFileAtomic(ctx.out(name), bytes);
    progress.update(i + 1, `max |ort − tfjs| ${Math.max(...Object.values(parity)).toExponential(2)}`);
  }
  ctx.results.models = checkpoints.length;
  ctx.results.parity_tolerance = tolerance;
  ctx.results.max_parity_diff = Math.max(...Object.values(parity));
  ctx.results.parity = parity;
  ctx.log(`${checkpoints.length} models; largest |onnxruntime − tfjs| on ${test.n} test sequences: ${ctx.results.max_parity_diff}`);
});
