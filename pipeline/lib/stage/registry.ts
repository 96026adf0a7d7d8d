// The stages, in pipeline order: what each reads, which part of the config it depends on,
// and the script that runs it. Both the orchestrator (freshness) and the stage scripts
// (manifests) take their definitions from here, so the two cannot disagree.
import { fileURLToPath } from 'node:url';
import type { Config } from '../../../schemas/config.ts';

export const STAGE_NAMES = ['generate', 'train', 'export', 'sweep', 'estimate', 'calibration', 'report'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** The estimate keys the sweep and calibration share: loader, seeds, λ, σ, init_loss and device. */
function samplerSettings(c: Config) {
  const { batch_size, seed, weight_decay, noise_level, init_loss, device } = c.estimate;
  return { batch_size, seed, weight_decay, noise_level, init_loss, device };
}

/** The part of the config each stage's result depends on, and all that the stage sees of it:
 * what a stage needs from upstream it reads from upstream artifacts and manifests. */
const SLICES = {
  generate: (c: Config) => ({ generate: c.generate }),
  train: (c: Config) => ({ train: c.train }),
  // The tfjs side of the parity check runs on the training backend.
  export: (c: Config) => ({ train: { backend: c.train.backend } }),
  estimate: (c: Config) => ({ estimate: c.estimate }),
  sweep: (c: Config) => ({ sweep: c.sweep, estimate: samplerSettings(c) }),
  calibration: (c: Config) => ({ calibration: c.calibration, estimate: samplerSettings(c) }),
  report: (c: Config) => ({ report: c.report }),
} satisfies Record<StageName, (c: Config) => Record<string, unknown>>;

/** The config a stage sees: its slice. */
export type StageConfig<S extends StageName> = ReturnType<(typeof SLICES)[S]>;

export interface StageDef<S extends StageName = StageName> {
  name: S;
  /** Upstream stages whose outputs this stage reads … */
  deps: StageName[];
  /** … and those it reads only under some configs. */
  depsWhen?: (config: Config) => StageName[];
  /** The part of the config this stage's result depends on. */
  slice(config: Config): StageConfig<S>;
  /** Schema of the stage's outputs, recorded in its manifest. */
  outputSchema: { id: string; version: number };
  /** What the stage does, for --help. */
  summary: string;
}

export const STAGES: { [S in StageName]: StageDef<S> } = {
  generate: {
    name: 'generate',
    deps: [],
    slice: SLICES.generate,
    outputSchema: { id: 'llc-pipeline/dataset', version: 1 },
    summary: 'the x-fraction dataset: train/test tokens and targets',
  },
  train: {
    name: 'train',
    deps: ['generate'],
    slice: SLICES.train,
    outputSchema: { id: 'llc-pipeline/training', version: 1 },
    summary: 'train the transformer (tfjs or onnxruntime engine): checkpoints and metrics',
  },
  export: {
    name: 'export',
    deps: ['generate', 'train'],
    slice: SLICES.export,
    outputSchema: { id: 'llc-pipeline/onnx-export', version: 1 },
    summary: 'every checkpoint as an eval-mode ONNX model, checked against tfjs in onnxruntime',
  },
  sweep: {
    name: 'sweep',
    deps: ['generate', 'export'],
    slice: SLICES.sweep,
    outputSchema: { id: 'llc-pipeline/sweep', version: 1 },
    summary: 'the ε × nβ calibration grid on one checkpoint',
  },
  estimate: {
    name: 'estimate',
    deps: ['generate', 'export'],
    // The sweep's recommended ε and nβ, where estimate.lr / estimate.nbeta = sweep.
    depsWhen: (c) => (c.estimate.lr === 'sweep' || c.estimate.nbeta === 'sweep' ? ['sweep'] : []),
    slice: SLICES.estimate,
    outputSchema: { id: 'llc-pipeline/llc-estimates', version: 1 },
    summary: 'λ̂ of every checkpoint of every training seed by SGLD in onnxruntime',
  },
  calibration: {
    name: 'calibration',
    deps: ['generate', 'export'],
    slice: SLICES.calibration,
    outputSchema: { id: 'llc-pipeline/calibration', version: 1 },
    summary: 'the long λ̂ trace on one checkpoint',
  },
  report: {
    name: 'report',
    deps: ['generate', 'train', 'estimate', 'sweep', 'calibration'],
    slice: SLICES.report,
    outputSchema: { id: 'llc-pipeline/report', version: 1 },
    summary: 'one self-contained HTML report: every chart of the notebook, config, versions, devices, timings, sampler health',
  },
};

/** The script that runs a stage: the entry of its module graph (pipeline/lib/stage/code-fingerprint.ts). */
export function stageScript(stage: StageName): string {
  return fileURLToPath(new URL(`../../../stages/${stage}/main.ts`, import.meta.url));
}

export function isStageName(name: string): name is StageName {
  return (STAGE_NAMES as readonly string[]).includes(name);
}

/** The upstream stages `stage` reads under `config`. */
export function depsOf(stage: StageName, config: Config): StageName[] {
  const def: StageDef = STAGES[stage];
  return [...def.deps, ...(def.depsWhen?.(config) ?? [])];
}
