// λ̂ for a set of starting points (checkpoints, or sweep points with their own ε and nβ)
// with devinterp's knobs: init_loss, then num_chains SGLD chains per starting point — all
// batched through sampleChains — then the estimates. Every chain's randomness comes from its own PCG32 stream, keyed by its
// starting point and chain index, so a chain's result does not depend on which other
// chains run beside it or in which session.
import type { z } from 'zod';
import type { EstimateConfig } from '../../../schemas/config.ts';
import { keyedPcg32, type Pcg32 } from '../util/prng.ts';
import { batchesPerPass, consecutiveBatches } from './loader.ts';
import type { EstimateHealth } from '../../../schemas/health.ts';
import { estimateHealth } from '../health/estimate-health.ts';
import type { Knobs } from '../health/knobs.ts';
import { DIAGNOSTICS, type Diagnostic } from './update.ts';
import type { SgldModel } from './sampled-model.ts';
import { initLossBatches, initLosses, sampleChains, type ChainRun, type ChainSpec, type Dataset, type SamplerOptions, type SessionOptions } from './sessions.ts';
import { checkSchedule, totalSteps, type DrawSchedule } from './draw-schedule.ts';
import { defaultNbeta, estimateLlc, type Divergence, type LlcEstimate } from './llc-estimator.ts';

/** The estimate settings a sampler runs with: ε and nβ resolved (no 'sweep'). */
export type LlcSettings = Omit<z.infer<typeof EstimateConfig>, 'device' | 'restrict' | 'params' | 'freeze' | 'ordering_checkpoints' | 'lr' | 'nbeta'> & { lr: number; nbeta: number | 'auto' };

export interface StartPoint {
  w0: Float32Array;
  /** Names the point's random streams (the estimate stage: its checkpoint's training step). */
  key: number;
  /** The training seed of the run the point belongs to: each run's chains draw from their own
   * streams (0 or absent: the streams of a single-seed run). */
  trainSeed?: number;
  /** This point's own ε and nβ instead of the settings' (a sweep's grid point). */
  lr?: number;
  nbeta?: number;
  /** Sample only these weights (1) and hold the rest at w₀ (0): restricted λ̂. */
  mask?: Float32Array;
}

export interface LlcResult {
  initLoss: number;
  nbeta: number;
  estimate: LlcEstimate;
  divergences: Divergence[];
  /** Per-draw chain diagnostics (graph.ts), each [chains, draws] row-major. */
  diagnostics: Record<Diagnostic, Float32Array>;
}

export interface LlcRunOptions extends SessionOptions {
  stepsPerRun: number;
  onProgress?: (chainSteps: number) => void;
}

/** Stream index of the init_loss loader (chains use 0 … num_chains−1). */
const INIT_LOSS_STREAM = 0xffffffff;

/** The PCG32 keyed by the settings' seed, the training seed, the point's key and the stream's
 * index. (Seeded as Pcg32(seed, index) before, chain c + 1 of --seed s drew the noise of chain
 * c of --seed s + 2: runs pooled over neighbouring seeds shared most of their noise.) */
function streamRng(seed: number, p: Pick<StartPoint, 'key' | 'trainSeed'>, index: number): Pcg32 {
  return keyedPcg32(BigInt(seed), BigInt(p.trainSeed ?? 0), BigInt(p.key), BigInt(index));
}

export function scheduleOf(s: LlcSettings): DrawSchedule {
  return { burnin: s.num_burnin_steps, draws: s.num_draws, thin: s.num_steps_bw_draws };
}

export function resolveNbeta(s: LlcSettings): number {
  return s.nbeta === 'auto' ? defaultNbeta(s.batch_size) : s.nbeta;
}

/** SGLD steps all chains of `points` starting points take together. */
export function chainStepsOf(s: LlcSettings, points: number): number {
  return points * s.num_chains * totalSteps(scheduleOf(s));
}

export async function runLlc(model: SgldModel, points: readonly StartPoint[], data: Dataset, s: LlcSettings, opts: LlcRunOptions): Promise<LlcResult[]> {
  checkSchedule(scheduleOf(s));
  const init = await pointInitLosses(model, points, data, s, opts);
  const runs = await sampleChains(model, points.flatMap((p) => Array.from({ length: s.num_chains }, (_, c) => chainSpec(p, s, c))), data, samplerOptions(s, opts));
  return mergeRuns(points, init, runs, s);
}

// runLlc's parts, which a queue (pipeline/lib/queue) runs as shards on other machines: the
// init losses of all points in one call, and the chains in sampleChains' session groups,
// so that every onnxruntime session sees the same inputs as in-process and gives the same bits.

/** init_loss of every point: the loss on all rows (`full`), or devinterp's (`batches`): the
 * first num_chains batches of one pass, at most the whole pass. */
export function pointInitLosses(model: SgldModel, points: readonly Pick<StartPoint, 'w0' | 'key' | 'trainSeed'>[], data: Dataset, s: LlcSettings, opts: SessionOptions): Promise<number[]> {
  const batches = points.map((p) => initLossRowBatches(s, p, data.x.dims[0]!));
  return initLosses(model, points.map((p) => p.w0), batches, data, { ...opts, batchSize: s.batch_size }, s.init_loss === 'full');
}

/** The minibatches init_loss is taken over at point `p`: the rows in order (`full`), or
 * devinterp's first num_chains batches of a shuffled pass, at most the pass (`batches`). */
export function initLossRowBatches(s: LlcSettings, p: Pick<StartPoint, 'key' | 'trainSeed'>, rows: number): number[][] {
  if (s.init_loss === 'full') return consecutiveBatches(rows, s.batch_size);
  return initLossBatches(streamRng(s.seed, p, INIT_LOSS_STREAM), rows, s.batch_size, Math.min(s.num_chains, batchesPerPass(rows, s.batch_size)));
}

export function samplerOptions(s: LlcSettings, opts: LlcRunOptions): SamplerOptions {
  return { ...opts, batchSize: s.batch_size, schedule: scheduleOf(s), sampler: s.sampler };
}

/** Chain `chain` of starting point `p`. */
export function chainSpec(p: StartPoint, s: LlcSettings, chain: number): ChainSpec {
  return {
    w0: p.w0,
    ...(p.mask ? { mask: p.mask } : {}),
    lr: p.lr ?? s.lr,
    nbeta: p.nbeta ?? resolveNbeta(s),
    localization: s.localization,
    weightDecay: s.weight_decay,
    noiseLevel: s.noise_level,
    rng: streamRng(s.seed, p, chain),
  };
}

/** Every point's result from its init loss and its num_chains runs (all points' runs in point order). */
export function mergeRuns(points: readonly StartPoint[], init: readonly number[], runs: readonly ChainRun[], s: LlcSettings): LlcResult[] {
  const C = s.num_chains;
  return points.map((p, i) => {
    const nbeta = p.nbeta ?? resolveNbeta(s);
    const mine = runs.slice(i * C, (i + 1) * C);
    const divergences = mine.flatMap((r, chain) => (r.divergence ? [{ chain, ...r.divergence }] : []));
    const estimate = estimateLlc(mine.map((r) => r.losses), new Set(divergences.map((d) => d.chain)), init[i]!, nbeta);
    const diagnostics = Object.fromEntries(
      DIAGNOSTICS.map((d) => {
        const rows = new Float32Array(C * s.num_draws);
        mine.forEach((r, c) => rows.set(r.diagnostics[d], c * s.num_draws));
        return [d, rows];
      }),
    ) as LlcResult['diagnostics'];
    return { initLoss: init[i]!, nbeta, estimate, divergences, diagnostics };
  });
}

/** The health of one starting point's result (pipeline/lib/health), as every λ̂ run judges it,
 * its advice naming `knobs`; `rows` (the data's) adds the check of the batch size against them. */
export function resultHealth(label: string, r: LlcResult, s: LlcSettings, point: Pick<StartPoint, 'w0' | 'lr' | 'mask' | 'nbeta'>, knobs: Knobs, rows?: number): EstimateHealth {
  return estimateHealth({
    label,
    chains: s.num_chains,
    draws: s.num_draws,
    loss: r.estimate.lossTrace,
    llc: r.estimate.llcTrace,
    diverged: r.divergences,
    llcMean: r.estimate.llcMean,
    lr: point.lr ?? s.lr,
    noiseLevel: s.noise_level,
    localization: s.localization,
    nbeta: r.nbeta,
    burnin: s.num_burnin_steps,
    thin: s.num_steps_bw_draws,
    knobs,
    weights: point.w0,
    malaAcceptance: r.diagnostics.mala_acceptance,
    distance: r.diagnostics.distance,
    initLoss: r.initLoss,
    dimension: point.mask ? point.mask.reduce((n, m) => n + m, 0) : point.w0.length,
    ...(rows !== undefined ? { batch: { size: s.batch_size, rows, autoNbeta: point.nbeta === undefined && s.nbeta === 'auto' } } : {}),
  });
}

/** The warning printed for a diverged chain; `where` names the starting point. */
export function divergenceWarning(d: Divergence, where: string): string {
  const when = d.draw === null ? `before its first draw (SGLD step ${d.step})` : `at draw ${d.draw} (SGLD step ${d.step})`;
  return `warning: ${where}: chain ${d.chain} diverged ${when}: its loss is NaN or infinite; its λ̂ is left out of the mean and std`;
}
