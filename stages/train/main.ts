// Stage `train`: SPEC.md §3 — the seed model trained with tfjs from the generate stage's
// training split; checkpoints (PyTorch names), metrics, and resume after an interruption.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { splitFromTensors, type SplitTensors } from '../../schemas/dataset.ts';
import { Metrics, checkpointName, type MetricsRow, type ModelConfigFile } from '../../schemas/training.ts';
import { VOCAB_SIZE } from '../generate/dataset.ts';
import { sha256 } from '../lib/hash.ts';
import { Progress } from '../lib/progress.ts';
import { decodeSafetensors } from '../lib/safetensors.ts';
import { runStage, type StageContext } from '../lib/stage.ts';
import { readJsonFile } from '../lib/run-dir.ts';
import { seedParameters, type SeedModelConfig } from '../model/config.ts';
import { encodeStateDict, readStateDict } from '../model/state-dict.ts';
import { initBackend } from '../tfjs/backend.ts';
import { batchIndices, gatherRows } from './batches.ts';
import { initialWeights } from './init.ts';
import { Trainer, type TrainerState } from './trainer.ts';
import { writeMetricsCsv } from './metrics.ts';

const OPTIMIZER = 'optimizer.safetensors';

function asInt32(split: SplitTensors): Int32Array {
  return Int32Array.from(split.tokens, Number);
}

/** Restores the state of an interrupted attempt with the same config and inputs, if any. */
function resumeState(ctx: StageContext, fingerprint: string): { state: TrainerState; rows: MetricsRow[] } | undefined {
  const path = ctx.out(OPTIMIZER);
  if (!existsSync(path)) return undefined;
  const { tensors, metadata } = decodeSafetensors(readFileSync(path), path);
  if (metadata.fingerprint !== fingerprint) return undefined;
  const step = Number(metadata.step);
  const params = seedParameters(modelConfigOf(ctx, Number(metadata.seq_len)));
  const moments = (kind: 'm' | 'v') => Object.fromEntries(params.map((p) => [p.name, tensors[`${kind}/${p.name}`]!.data as Float32Array]));
  const { weights } = readStateDict(ctx.out(checkpointName(step)), params);
  const rows = existsSync(ctx.out('metrics.json')) ? readJsonFile(ctx.out('metrics.json'), Metrics).rows.filter((r) => r.step <= step) : [];
  return { state: { weights, adam: { step, m: moments('m'), v: moments('v') } }, rows };
}

function modelConfigOf(ctx: StageContext, seqLen: number): SeedModelConfig {
  const c = ctx.config.train;
  return { vocab: VOCAB_SIZE, seqLen, dModel: c.d_model, heads: c.n_heads, dFF: c.d_ff, layers: c.n_layers, dropout: c.dropout, layerNormEps: 1e-5 };
}

await runStage(
  'train',
  async (ctx) => {
    const c = ctx.config.train;
    const train = splitFromTensors(ctx.readSafetensorsInput('generate', 'train.safetensors'), 'generate/train.safetensors');
    const test = splitFromTensors(ctx.readSafetensorsInput('generate', 'test.safetensors'), 'generate/test.safetensors');
    if (c.batch_size > train.n) throw new Error(`train.batch_size = ${c.batch_size} exceeds the ${train.n} training samples`);
    const backend = await initBackend(c.backend);
    ctx.log(`tfjs backend: ${backend.name} (${backend.version})`);
    ctx.runtime.tfjs_backend = backend.name;
    ctx.tools['tfjs-core'] = tf.version_core;
    ctx.tools[`tfjs-backend-${backend.name}`] = backend.version;

    const cfg = modelConfigOf(ctx, train.seqLen);
    const params = seedParameters(cfg);
    const modelFile: ModelConfigFile = { schema: 'llc-pipeline/model-config', schema_version: 1, ...cfg };
    // An attempt is resumable only with the same config and the same input files.
    const fingerprint = sha256(JSON.stringify({ train: c, inputs: ctx.inputs }));
    const resumed = resumeState(ctx, fingerprint);
    if (!resumed) {
      for (const f of ['checkpoints', OPTIMIZER, 'metrics.json', 'metrics.csv']) rmSync(ctx.out(f), { recursive: true, force: true });
    }
    ctx.writeJson('model.json', modelFile);
    const trainer = new Trainer(cfg, { lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: c.adam_eps, weightDecay: c.weight_decay }, resumed?.state ?? { weights: initialWeights(params, c.seed) });
    const rows = resumed?.rows ?? [];
    const start = trainer.step;
    if (start > 0) ctx.log(`resuming at step ${start} of ${c.steps} from ${checkpointName(start)}`);

    const trainTokens = asInt32(train);
    const full = {
      train: { tokens: tf.tensor2d(trainTokens, [train.n, train.seqLen], 'int32'), targets: tf.tensor2d(train.targets, [train.n, train.seqLen]) },
      test: { tokens: tf.tensor2d(asInt32(test), [test.n, test.seqLen], 'int32'), targets: tf.tensor2d(test.targets, [test.n, test.seqLen]) },
    };
    const progress = new Progress('train', c.steps);
    const began = Date.now();
    let lossSum = 0;
    let lossCount = 0;
    let tensorsAtFirstEval: number | undefined;
    const last = rows[rows.length - 1];
    let info = last ? `loss ${last.batch_loss.toFixed(5)} test MAE ${last.test_mae.toFixed(4)}` : '';
    for (let step = start + 1; step <= c.steps; step++) {
      const idx = batchIndices(c.seed, step, train.n, c.batch_size);
      const loss = tf.tidy(() => {
        const tokens = tf.tensor2d(gatherRows(trainTokens, train.seqLen, idx), [c.batch_size, train.seqLen], 'int32');
        const targets = tf.tensor2d(gatherRows(train.targets, train.seqLen, idx), [c.batch_size, train.seqLen]);
        // Dropout masks: one stream per step, so any step replays from (seed, step).
        return trainer.trainStep(tokens, targets, c.seed * 2 ** 20 + step);
      });
      if (!Number.isFinite(loss)) throw new Error(`training diverged: the loss at step ${step} is ${loss}`);
      lossSum += loss;
      lossCount++;
      if (step % c.eval_every === 0) {
        const tr = trainer.evaluate(full.train.tokens, full.train.targets);
        const te = trainer.evaluate(full.test.tokens, full.test.targets);
        rows.push({ step, batch_loss: lossSum / lossCount, train_mse: tr.mse, train_mae: tr.mae, test_mse: te.mse, test_mae: te.mae, elapsed_s: (Date.now() - began) / 1000 });
        lossSum = 0;
        lossCount = 0;
        ctx.writeJson('metrics.json', { schema: 'llc-pipeline/training-metrics', schema_version: 1, backend: backend.name, rows } satisfies Metrics);
        info = `loss ${rows[rows.length - 1]!.batch_loss.toFixed(5)} train MAE ${tr.mae.toFixed(4)} test MAE ${te.mae.toFixed(4)}`;
        tensorsAtFirstEval ??= tf.memory().numTensors;
      }
      if (step % c.checkpoint_every === 0) {
        ctx.writeText(checkpointName(step), encodeStateDict(params, trainer.weights(), { step: String(step) }));
        const opt = trainer.optimizerState();
        const tensors = Object.fromEntries(
          params.flatMap((p) => (['m', 'v'] as const).map((k) => [`${k}/${p.name}`, { dtype: 'F32' as const, shape: p.shape, data: opt[k][p.name]! }])),
        );
        ctx.writeSafetensors(OPTIMIZER, tensors, { step: String(step), fingerprint, seq_len: String(train.seqLen) });
      }
      progress.update(step, info);
    }
    if (c.steps % c.checkpoint_every !== 0) ctx.log(`note: the last ${c.steps % c.checkpoint_every} steps come after the last checkpoint`);
    writeMetricsCsv(ctx, rows);
    ctx.results.steps = c.steps;
    ctx.results.checkpoints = Math.floor(c.steps / c.checkpoint_every);
    ctx.results.evaluations = rows.length;
    ctx.results.ms_per_step = c.steps > start ? (Date.now() - began) / (c.steps - start) : null;
    ctx.results.resumed_from_step = start;
    ctx.results.live_tensors = { at_first_eval: tensorsAtFirstEval ?? null, at_end: tf.memory().numTensors };
    const final = rows[rows.length - 1];
    if (final) ctx.results.final = final;
    trainer.dispose();
    tf.dispose([full.train.tokens, full.train.targets, full.test.tokens, full.test.targets]);
  },
  { resumable: true },
);
