// One training run of train.seeds: the seed model from its initial weights (or from the state
// of an interrupted attempt with the same settings) to train.steps, with evaluations,
// checkpoints and the Adam state under seed-<s>/. Files go through `SeedFiles`, so the same
// run writes into the stage folder in-process and into memory on a queue worker.
import { decodeSafetensors, encodeSafetensors } from '../../pipeline/lib/util/safetensors.ts';
import { sha256 } from '../../pipeline/lib/util/hash.ts';
import { subnormalCounts } from '../../pipeline/lib/util/subnormals.ts';
import { seedParameters, type SeedModelConfig } from '../../pipeline/lib/model/config.ts';
import { encodeStateDict, weightsFromTensors } from '../../pipeline/lib/model/state-dict.ts';
import type { Config } from '../../schemas/config.ts';
import type { SplitTensors } from '../../schemas/dataset.ts';
import { Metrics, checkpointName, checkpointSteps, evaluationSteps, metricsName, optimizerName, seedDir, type MetricsRow } from '../../schemas/training.ts';
import { parseJson } from '../../pipeline/lib/stage/run-dir.ts';
import type { TrainerState } from './engine.ts';
import { initialWeights } from './init.ts';
import { metricsCsv } from './metrics.ts';
import { ORT_STEPS_PER_RUN, openEngine } from './open-engine.ts';
import type { Device } from '../../pipeline/lib/onnx/ort.ts';

export interface SeedFiles {
  /** A file this seed's folder already holds (an interrupted attempt's), or undefined. */
  read(file: string): Uint8Array | undefined;
  write(file: string, bytes: string | Uint8Array): void;
  /** Removes a file or folder of this seed, if it exists. */
  remove(file: string): void;
}

export interface SeedRunOptions {
  config: Config['train'];
  cfg: SeedModelConfig;
  train: SplitTensors;
  test: SplitTensors;
  /** Hashes of the stage's inputs: an attempt resumes only over the same data. */
  inputs: unknown;
  seed: number;
  /** Where to train in place of train.device (a queue worker's own device); the fingerprint
   * keeps the config's, so that the files are those an in-process run writes. */
  device?: Device;
  files: SeedFiles;
  log: (message: string) => void;
  /** Called after every run of steps with the step reached and a short status. */
  progress: (step: number, info: string) => void;
}

export interface SeedRunResult {
  seed: number;
  engine: string;
  reason: string;
  runtime: Record<string, string>;
  tools: Record<string, string>;
  evaluations: number;
  ms_per_step: number | null;
  resumed_from_step: number;
  final: MetricsRow | null;
  live_tensors?: { at_first_eval: number | null; at_end: number };
  /** Subnormal floats left in the final state: 0 where flushing works (docs/subnormals.md). */
  subnormal_values: { weights: number; adam_m: number; adam_v: number };
}

/** An attempt is resumable only with the same settings, seed and input files; the list of
 * other seeds does not matter. */
function fingerprintOf(o: SeedRunOptions): string {
  const { seeds: _seeds, ...settings } = o.config;
  return sha256(JSON.stringify({ train: settings, seed: o.seed, inputs: o.inputs }));
}

/** The state of an interrupted attempt with the same fingerprint, if any. */
function resumeState(o: SeedRunOptions, fingerprint: string): { state: TrainerState; rows: MetricsRow[] } | undefined {
  const bytes = o.files.read(optimizerName(o.seed));
  if (!bytes) return undefined;
  const source = optimizerName(o.seed);
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  if (metadata.fingerprint !== fingerprint) return undefined;
  const step = Number(metadata.step);
  const params = seedParameters(o.cfg);
  const moments = (kind: 'm' | 'v') => Object.fromEntries(params.map((p) => [p.name, tensors[`${kind}/${p.name}`]!.data as Float32Array]));
  const checkpoint = o.files.read(checkpointName(o.seed, step));
  if (!checkpoint) return undefined;
  const weights = weightsFromTensors(decodeSafetensors(checkpoint, checkpointName(o.seed, step)).tensors, params, checkpointName(o.seed, step));
  const metrics = o.files.read(metricsName(o.seed, 'json'));
  const rows = metrics ? parseJson(Buffer.from(metrics).toString('utf8'), metricsName(o.seed, 'json'), Metrics).rows.filter((r) => r.step <= step) : [];
  return { state: { weights, adam: { step, m: moments('m'), v: moments('v') } }, rows };
}

export async function trainSeed(o: SeedRunOptions): Promise<SeedRunResult> {
  const c = o.config;
  const params = seedParameters(o.cfg);
  const fingerprint = fingerprintOf(o);
  const resumed = resumeState(o, fingerprint);
  if (!resumed) o.files.remove(seedDir(o.seed));
  const adam = { lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: c.adam_eps, weightDecay: c.weight_decay, decoupled: c.optimizer === 'adamw' };
  const state = resumed?.state ?? { weights: initialWeights(params, o.seed, c.init_gain) };
  const opened = await openEngine(o.device ? { ...c, device: o.device } : c, { cfg: o.cfg, adam, seed: o.seed, batchSize: c.batch_size, train: o.train, test: o.test, state });
  const { engine } = opened;
  try {
    const rows = resumed?.rows ?? [];
    const start = engine.step;
    if (start > 0 && start < c.steps) o.log(`seed ${o.seed}: resuming at step ${start} of ${c.steps} from ${checkpointName(o.seed, start)}`);
    const checkpoints = new Set(checkpointSteps(c.steps, c.checkpoint_every, c.log_checkpoints));
    // Every checkpoint is also an evaluation (schemas/training.ts, as the artifact check expects).
    const evaluations = evaluationSteps(c.steps, c.eval_every, [...checkpoints]);
    const evaluated = new Set(evaluations);
    const began = Date.now();
    let lossSum = 0;
    let lossCount = 0;
    let tensorsAtFirstEval: number | undefined;
    const last = rows[rows.length - 1];
    let info = last ? `loss ${last.batch_loss.toFixed(5)} test MAE ${last.test_mae.toFixed(4)}` : '';
    while (engine.step < c.steps) {
      const from = engine.step;
      // Runs end at every evaluation.
      const until = Math.min(from + ORT_STEPS_PER_RUN, evaluations.find((e) => e > from) ?? c.steps);
      const losses = await engine.train(until - from);
      const bad = losses.findIndex((l) => !Number.isFinite(l));
      if (bad >= 0) throw new Error(`training diverged: seed ${o.seed}, the loss at step ${from + bad + 1} is ${losses[bad]}`);
      for (const l of losses) lossSum += l;
      lossCount += losses.length;
      const step = engine.step;
      if (evaluated.has(step)) {
        const tr = await engine.evaluate('train');
        const te = await engine.evaluate('test');
        rows.push({ step, batch_loss: lossSum / lossCount, train_mse: tr.mse, train_mae: tr.mae, test_mse: te.mse, test_mae: te.mae, elapsed_s: (Date.now() - began) / 1000 });
        lossSum = 0;
        lossCount = 0;
        const metrics: Metrics = { schema: 'llc-pipeline/training-metrics', schema_version: 2, seed: o.seed, backend: engine.label, rows };
        o.files.write(metricsName(o.seed, 'json'), JSON.stringify(metrics, null, 2) + '\n');
        info = `loss ${rows[rows.length - 1]!.batch_loss.toFixed(5)} train MAE ${tr.mae.toFixed(4)} test MAE ${te.mae.toFixed(4)}`;
        tensorsAtFirstEval ??= engine.liveTensors?.();
      }
      if (checkpoints.has(step)) {
        o.files.write(checkpointName(o.seed, step), encodeStateDict(params, engine.weights(), { step: String(step) }));
        const opt = engine.optimizerState();
        const tensors = Object.fromEntries(
          params.flatMap((p) => (['m', 'v'] as const).map((k) => [`${k}/${p.name}`, { dtype: 'F32' as const, shape: p.shape, data: opt[k][p.name]! }])),
        );
        o.files.write(optimizerName(o.seed), encodeSafetensors(tensors, { step: String(step), fingerprint, seq_len: String(o.train.seqLen) }));
      }
      o.progress(step, info);
    }
    o.files.write(metricsName(o.seed, 'csv'), metricsCsv(rows));
    const opt = engine.optimizerState();
    return {
      seed: o.seed,
      engine: engine.label,
      reason: opened.reason,
      runtime: opened.runtime,
      tools: opened.tools,
      evaluations: rows.length,
      ms_per_step: c.steps > start ? (Date.now() - began) / (c.steps - start) : null,
      resumed_from_step: start,
      final: rows[rows.length - 1] ?? null,
      ...(engine.liveTensors ? { live_tensors: { at_first_eval: tensorsAtFirstEval ?? null, at_end: engine.liveTensors() } } : {}),
      subnormal_values: { weights: subnormalCounts(engine.weights()).total, adam_m: subnormalCounts(opt.m).total, adam_v: subnormalCounts(opt.v).total },
    };
  } finally {
    await engine.dispose();
  }
}
