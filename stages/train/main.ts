// Stage `train`: the seed model trained from the generate stage's training split by the
// tfjs or the onnxruntime engine (open-engine.ts); checkpoints (PyTorch names), metrics,
// and resume after an interruption.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { splitFromTensors } from '../../schemas/dataset.ts';
import { Metrics, checkpointName, type MetricsRow, type ModelConfigFile } from '../../schemas/training.ts';
import { VOCAB_SIZE } from '../generate/dataset.ts';
import { sha256 } from '../../pipeline/lib/util/hash.ts';
import { subnormalCounts } from '../../pipeline/lib/util/subnormals.ts';
import { Progress } from '../../pipeline/lib/util/progress.ts';
import { decodeSafetensors } from '../../pipeline/lib/util/safetensors.ts';
import type { StageContext } from '../../pipeline/lib/stage/context.ts';
import { runStage } from '../../pipeline/lib/stage/run-stage.ts';
import { readJsonFile } from '../../pipeline/lib/stage/run-dir.ts';
import { seedParameters, type SeedModelConfig } from '../../pipeline/lib/model/config.ts';
import { encodeStateDict, readStateDict } from '../../pipeline/lib/model/state-dict.ts';
import type { TrainerState } from './engine.ts';
import { initialWeights } from './init.ts';
import { writeMetricsCsv } from './metrics.ts';
import { ORT_STEPS_PER_RUN, openEngine } from './open-engine.ts';

const OPTIMIZER = 'optimizer.safetensors';

/** Restores the state of an interrupted attempt with the same config and inputs, if any. */
function resumeState(ctx: StageContext<'train'>, fingerprint: string): { state: TrainerState; rows: MetricsRow[] } | undefined {
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

function modelConfigOf(ctx: StageContext<'train'>, seqLen: number): SeedModelConfig {
  const c = ctx.config.train;
  return { vocab: VOCAB_SIZE, seqLen, dModel: c.d_model, heads: c.n_heads, dFF: c.d_ff, layers: c.n_layers, dropout: c.dropout, layerNormEps: 1e-5 };
}

/** The first multiple of `every` after `step`. */
const nextMultiple = (step: number, every: number) => (Math.floor(step / every) + 1) * every;

await runStage(
  'train',
  async (ctx) => {
    const c = ctx.config.train;
    const train = splitFromTensors(ctx.readSafetensorsInput('generate', 'train.safetensors'), 'generate/train.safetensors');
    const test = splitFromTensors(ctx.readSafetensorsInput('generate', 'test.safetensors'), 'generate/test.safetensors');
    if (c.batch_size > train.n) throw new Error(`train.batch_size = ${c.batch_size} exceeds the ${train.n} training samples`);

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
    const adam = { lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: c.adam_eps, weightDecay: c.weight_decay, decoupled: c.optimizer === 'adamw' };
    const state = resumed?.state ?? { weights: initialWeights(params, c.seed, c.init_gain) };
    const opened = await openEngine(c, { cfg, adam, seed: c.seed, batchSize: c.batch_size, train, test, state });
    const { engine } = opened;
    ctx.log(`engine: ${opened.engine.label} — ${opened.reason}`);
    if (opened.runtime.subnormals !== 'flushed to zero') {
      ctx.log('warning: subnormal floats are not flushed to zero on this thread; on CPUs that penalise them training slows as they appear (docs/subnormals.md)');
    }
    Object.assign(ctx.runtime, opened.runtime, { engine_reason: opened.reason });
    Object.assign(ctx.tools, opened.tools);
    const rows = resumed?.rows ?? [];
    const start = engine.step;
    if (start > 0) ctx.log(`resuming at step ${start} of ${c.steps} from ${checkpointName(start)}`);

    const progress = new Progress('train', c.steps);
    const began = Date.now();
    let lossSum = 0;
    let lossCount = 0;
    let tensorsAtFirstEval: number | undefined;
    const last = rows[rows.length - 1];
    let info = last ? `loss ${last.batch_loss.toFixed(5)} test MAE ${last.test_mae.toFixed(4)}` : '';
    while (engine.step < c.steps) {
      const from = engine.step;
      // Runs end at every evaluation and checkpoint.
      const until = Math.min(c.steps, from + ORT_STEPS_PER_RUN, nextMultiple(from, c.eval_every), nextMultiple(from, c.checkpoint_every));
      const losses = await engine.train(until - from);
      const bad = losses.findIndex((l) => !Number.isFinite(l));
      if (bad >= 0) throw new Error(`training diverged: the loss at step ${from + bad + 1} is ${losses[bad]}`);
      for (const l of losses) lossSum += l;
      lossCount += losses.length;
      const step = engine.step;
      if (step % c.eval_every === 0) {
        const tr = await engine.evaluate('train');
        const te = await engine.evaluate('test');
        rows.push({ step, batch_loss: lossSum / lossCount, train_mse: tr.mse, train_mae: tr.mae, test_mse: te.mse, test_mae: te.mae, elapsed_s: (Date.now() - began) / 1000 });
        lossSum = 0;
        lossCount = 0;
        ctx.writeJson('metrics.json', { schema: 'llc-pipeline/training-metrics', schema_version: 1, backend: engine.label, rows } satisfies Metrics);
        info = `loss ${rows[rows.length - 1]!.batch_loss.toFixed(5)} train MAE ${tr.mae.toFixed(4)} test MAE ${te.mae.toFixed(4)}`;
        tensorsAtFirstEval ??= engine.liveTensors?.();
      }
      if (step % c.checkpoint_every === 0) {
        ctx.writeText(checkpointName(step), encodeStateDict(params, engine.weights(), { step: String(step) }));
        const opt = engine.optimizerState();
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
    if (engine.liveTensors) ctx.results.live_tensors = { at_first_eval: tensorsAtFirstEval ?? null, at_end: engine.liveTensors() };
    const final = rows[rows.length - 1];
    if (final) ctx.results.final = final;
    const opt = engine.optimizerState();
    // Zero where flushing works (docs/subnormals.md), recorded in the manifest.
    ctx.results.subnormal_values = { weights: subnormalCounts(engine.weights()).total, adam_m: subnormalCounts(opt.m).total, adam_v: subnormalCounts(opt.v).total };
    await engine.dispose();
  },
  { resumable: true },
);
