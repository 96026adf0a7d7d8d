// Everything a report or a diff shows about one run, read through a StageContext so that
// every artifact is checked against its stage's manifest before it is believed. A stage
// that has not finished is listed in `missing` and what it would supply stays undefined:
// the report refuses that, the diff says so. The report sees only its own config slice;
// the settings of the other stages come from their manifests, which record what made each
// artifact.
import { ConfigSchema, SECTIONS, type Config } from '../../schemas/config.ts';
import { Calibration } from '../../schemas/calibration.ts';
import { DatasetSummary, splitFromTensors, type SplitTensors } from '../../schemas/dataset.ts';
import { Estimates } from '../../schemas/estimate.ts';
import { Health } from '../../schemas/health.ts';
import type { Manifest } from '../../schemas/manifest.ts';
import { Sweep } from '../../schemas/sweep.ts';
import { Metrics, ModelConfigFile, metricsName } from '../../schemas/training.ts';
import { mean as meanOf, median as medianOf } from '../../pipeline/lib/util/moments.ts';
import { readManifest, readSavedConfig } from '../../pipeline/lib/stage/run-dir.ts';
import { requireTensor } from '../../pipeline/lib/util/safetensors.ts';
import { StageContext } from '../../pipeline/lib/stage/context.ts';
import type { StageConfig, StageName } from '../../pipeline/lib/stage/registry.ts';

/** The stages whose artifacts, manifests (tools, devices, timings) the report shows. */
export const SHOWN_STAGES = ['generate', 'train', 'export', 'sweep', 'estimate', 'calibration'] as const satisfies readonly StageName[];
export type ShownStage = (typeof SHOWN_STAGES)[number];
export const SAMPLING_STAGES = ['estimate', 'sweep', 'calibration'] as const satisfies readonly ShownStage[];
export type SamplingStage = (typeof SAMPLING_STAGES)[number];

/** The constant predictions a model can fall back to, scored on the test split. */
export interface Baseline {
  /** The median training target: the constant with the least MAE. */
  median: number;
  medianTestMae: number;
  /** The mean training target: the constant with the least MSE, where an MSE-trained model collapses to. */
  mean: number;
  meanTestMae: number;
  meanTestMse: number;
}

/** One sequence of the data sample: its letters and the target at each position. */
export interface SampleRow {
  split: 'train' | 'test';
  letters: string;
  targets: number[];
}

export interface CalibrationRun {
  result: Calibration;
  /** [chains, draws] row-major. */
  loss: Float32Array;
}

/** One estimate's per-chain traces, each [chains, draws] row-major. */
export interface ChainTraces {
  /** The checkpoint's training seed and step. */
  seed: number;
  step: number;
  chains: number;
  draws: number;
  loss: Float32Array;
  llc: Float32Array;
}

export interface RunData {
  id: string;
  /** The config the artifacts were made with (madeWith). */
  config: Config;
  manifests: Partial<Record<ShownStage, Manifest>>;
  missing: ShownStage[];
  summary?: DatasetSummary;
  /** The first report.sample_rows training sequences (fewer when the split is smaller). */
  sample?: SampleRow[];
  baseline?: Baseline;
  model?: ModelConfigFile;
  /** Per training seed, ascending. */
  metrics?: Metrics[];
  estimates?: Estimates;
  /** Per checkpoint of estimates.json (whole model), its trace file's loss and llc. */
  estimateTraces?: ChainTraces[];
  sweep?: Sweep;
  /** Per sweep point, in sweep.json's order: the llc mean over chains per draw [draws]. */
  sweepTraces?: Float32Array[];
  calibration?: CalibrationRun;
  /** Per sampling stage, when it wrote health.json. */
  health: Partial<Record<SamplingStage, Health>>;
}

function baselineOf(train: Float32Array, test: Float32Array): Baseline {
  const median = medianOf(train);
  const mean = meanOf(train);
  const score = (c: number, f: (d: number) => number) => test.reduce((a, t) => a + f(t - c), 0) / test.length;
  return { median, medianTestMae: score(median, Math.abs), mean, meanTestMae: score(mean, Math.abs), meanTestMse: score(mean, (d) => d * d) };
}

/** The first `rows` sequences of a split, as letters of `vocab` (token i is vocab[i]) with their targets. */
function sampleOf(split: SplitTensors, vocab: string, rows: number, source: string): SampleRow[] {
  const letters = [...vocab];
  return Array.from({ length: Math.min(rows, split.n) }, (_, i) => {
    const at = i * split.seqLen;
    const tokens = split.tokens.subarray(at, at + split.seqLen);
    return {
      split: 'train' as const,
      letters: Array.from(tokens, (t, pos) => {
        const letter = letters[Number(t)];
        if (letter === undefined) throw new Error(`${source}: token ${t} at row ${i}, position ${pos} is outside the vocabulary "${vocab}" of generate/summary.json`);
        return letter;
      }).join(''),
      targets: Array.from(split.targets.subarray(at, at + split.seqLen)),
    };
  });
}

/** Each config section as the manifest of the stage it is named after records it, and the
 * report's own slice. A section whose stage has not run keeps its defaults: the report
 * refuses such a run, and the diff compares saved configs instead. */
function madeWith(manifests: RunData['manifests'], own: StageConfig<'report'>): Config {
  const recorded = SECTIONS.flatMap((section) => {
    const m = (manifests as Partial<Record<string, Manifest>>)[section];
    return m && section in m.config ? [[section, m.config[section]] as const] : [];
  });
  return ConfigSchema.parse({ ...Object.fromEntries(recorded), ...own });
}

/** Tensor `name` of an upstream trace file, checked to be F32 of `shape`. */
function traceTensor(ctx: StageContext<'report'>, stage: StageName, file: string, name: string, shape: number[]): Float32Array {
  const path = `${stage}/${file}`;
  const t = requireTensor(ctx.readSafetensorsInput(stage, file), name, path, 'F32');
  if (t.shape.join() !== shape.join()) throw new Error(`${path}: ${name} has shape [${t.shape}], expected [${shape}]`);
  return t.data as Float32Array;
}

export function loadRun(ctx: StageContext<'report'>): RunData {
  const manifests: RunData['manifests'] = {};
  for (const stage of SHOWN_STAGES) {
    const m = readManifest(ctx.runDir, stage);
    if (m) manifests[stage] = m;
  }
  const has = (stage: ShownStage) => manifests[stage] !== undefined;
  const data: RunData = { id: ctx.runId, config: madeWith(manifests, ctx.config), manifests, missing: SHOWN_STAGES.filter((s) => !has(s)), health: {} };

  if (has('generate')) {
    const summary = ctx.readJsonInput('generate', 'summary.json', DatasetSummary);
    const split = (file: string) => splitFromTensors(ctx.readSafetensorsInput('generate', file), `generate/${file}`);
    const train = split('train.safetensors');
    data.summary = summary;
    data.sample = sampleOf(train, summary.vocab, ctx.config.report.sample_rows, 'generate/train.safetensors');
    data.baseline = baselineOf(train.targets, split('test.safetensors').targets);
  }
  if (has('train')) {
    data.metrics = data.config.train.seeds
      .slice()
      .sort((a, b) => a - b)
      .map((seed) => ctx.readJsonInput('train', metricsName(seed, 'json'), Metrics));
    data.model = ctx.readJsonInput('train', 'model.json', ModelConfigFile);
  }
  if (has('estimate')) {
    const estimates = ctx.readJsonInput('estimate', 'estimates.json', Estimates);
    const { num_chains: chains, num_draws: draws } = data.config.estimate;
    data.estimates = estimates;
    data.estimateTraces = estimates.checkpoints.map((c) => {
      const tensor = (name: string) => traceTensor(ctx, 'estimate', c.trace, name, [chains, draws]);
      return { seed: c.seed, step: c.step, chains, draws, loss: tensor('loss'), llc: tensor('llc') };
    });
  }
  if (has('sweep')) {
    const sweep = ctx.readJsonInput('sweep', 'sweep.json', Sweep);
    data.sweep = sweep;
    data.sweepTraces = sweep.points.map((p) => traceTensor(ctx, 'sweep', p.trace, 'llc_mean', [sweep.num_draws]));
  }
  if (has('calibration')) {
    const result = ctx.readJsonInput('calibration', 'calibration.json', Calibration);
    data.calibration = { result, loss: traceTensor(ctx, 'calibration', result.trace, 'loss', [result.num_chains, result.num_draws]) };
  }
  for (const stage of SAMPLING_STAGES) {
    if (manifests[stage]?.outputs['health.json']) data.health[stage] = ctx.readJsonInput(stage, 'health.json', Health);
  }
  return data;
}

/** A run read outside any stage, with its saved config (what `pipeline diff` compares). */
export type SavedRun = RunData & { saved: Config };

/** A finished run read outside any stage (pipeline diff): the same verified readers; nothing is written. */
export function readRun(runDir: string): SavedRun {
  const saved = readSavedConfig(runDir);
  return { ...loadRun(new StageContext('report', runDir, saved, runDir)), saved };
}
