// Runs SGLD chains in onnxruntime: chains are grouped into sessions of at most `maxChains`
// (one for models without a chain axis), each session runs `stepsPerRun` steps per
// session.run with the weights fed back between runs, and every chain draws its noise and its
// minibatches from its own streams. A chain whose loss turns NaN or infinite is marked diverged
// at that step; its later losses are ignored (its draws stay NaN).
import type { Pcg32 } from '../util/prng.ts';
import { DataType, elementCount, type TensorValue } from '../onnx/ir.ts';
import { createSession, runSession, type Device } from '../onnx/ort.ts';
import { DIAGNOSTICS, buildLossGraph, buildSgldGraph, HYPERPARAMETERS, IO, parameterTotal, type Diagnostic, type GraphShape, type Loss, type SamplerKind } from './update.ts';
import { ShuffledLoader, batchTensors, drawBatches } from './loader.ts';
import { NoiseStream } from './noise.ts';
import type { SgldModel } from './sampled-model.ts';
import { drawAt, totalSteps, type DrawSchedule } from './draw-schedule.ts';

export interface ChainSpec {
  /** Starting weights, flat [P]. */
  w0: Float32Array;
  /** 1 for the weights this chain samples, 0 for those it holds at w₀ (default: all sampled). */
  mask?: Float32Array;
  lr: number;
  nbeta: number;
  localization: number;
  weightDecay: number;
  noiseLevel: number;
  /** The chain's own random stream: first the seed of its noise stream, then its minibatch order. */
  rng: Pcg32;
}

/** The training set: x [n, ...row] of the model's input type; y [n, ...row] float targets
 * (MSE) or int64 class indices (cross-entropy). */
export interface Dataset {
  x: TensorValue;
  y: TensorValue;
  /** Default MSE. */
  loss?: Loss;
}

export interface SessionOptions {
  device: Device;
  threads: number;
  /** Chains per session; models without a chain axis always run one. */
  maxChains: number;
}

export interface SamplerOptions extends SessionOptions {
  batchSize: number;
  /** Plain SGLD (default), or devinterp's RMSProp-preconditioned SGLD (graph.ts). */
  sampler?: SamplerKind;
  schedule: DrawSchedule;
  /** SGLD steps per session.run. */
  stepsPerRun: number;
  /** Called after every run with the number of chain-steps it did. */
  onProgress?: (chainSteps: number) => void;
  /** Where onnxruntime writes a profile of each SGLD session (a file prefix; bench/sgld.ts --profile). */
  profile?: string;
}

export interface ChainRun {
  /** Loss at each draw, [draws]; NaN from a divergence on. */
  losses: Float32Array;
  /** The graph's diagnostics at each draw (graph.ts), NaN where not measured (the MALA
   * acceptance of the first step, or of rmsprop_sgld) and from a divergence on. */
  diagnostics: Record<Diagnostic, Float32Array>;
  /** Where the loss first was NaN or infinite. */
  divergence?: { step: number; draw: number | null };
}

/**
 * Measured on the 2-core CPU with bench/sgld.ts: 2 intra-op threads ran ~1.4× faster when
 * the machine was otherwise idle but up to 2–3× slower when anything else ran, so 1 (more
 * cores are used by more processes: queue/processes.ts); a seed-model chain holds ~85 MB in
 * a session, and per chain 2 to 8 chains in a session ran alike and 16 no faster (2–7 %
 * slower in paired runs, the step's profile alike), so at most 8 per session, which also
 * splits a stage's chains more evenly over processes; 25 steps per run keep the progress
 * bar alive.
 */
export const SAMPLER_DEFAULTS = { threads: 1, maxChains: 8, stepsPerRun: 25 } as const;

export async function sampleChains(model: SgldModel, chains: readonly ChainSpec[], data: Dataset, opts: SamplerOptions): Promise<ChainRun[]> {
  const runs: ChainRun[] = [];
  for (const group of sessionGroups(model, chains, opts.maxChains)) runs.push(...(await sampleGroup(model, group, data, opts)));
  return runs;
}

async function sampleGroup(model: SgldModel, chains: readonly ChainSpec[], data: Dataset, opts: SamplerOptions): Promise<ChainRun[]> {
  const C = chains.length;
  const P = parameterTotal(model);
  const streams = chains.map((c) => chainStreams(c.rng, rowCount(data), opts.batchSize));
  const noises = streams.map((s) => s.noise);
  const loaders = streams.map((s) => s.loader);
  const shape = graphShape(model, data, C, opts.batchSize);
  const masked = chains.some((c) => c.mask);
  const session = await createSession(buildSgldGraph(model, shape, opts.sampler, masked), {
    device: opts.device,
    threads: opts.threads,
    ...(opts.profile ? { extra: { enableProfiling: true, profileFilePrefix: opts.profile } } : {}),
  });
  try {
    const w0 = concatRows(chains.map((c) => c.w0), P);
    const fixed: Record<string, TensorValue> = { [IO.w0]: w0, [IO.x]: data.x, [IO.y]: data.y };
    if (masked) fixed[IO.mask] = concatRows(chains.map((c) => c.mask ?? new Float32Array(P).fill(1)), P);
    const values: Record<(typeof HYPERPARAMETERS)[number], (c: ChainSpec) => number> = {
      lr: (c) => c.lr,
      nbeta: (c) => c.nbeta,
      localization: (c) => c.localization,
      weight_decay: (c) => c.weightDecay,
      noise_level: (c) => c.noiseLevel,
    };
    for (const h of HYPERPARAMETERS) fixed[h] = { dataType: DataType.FLOAT, dims: [C, 1], data: Float32Array.from(chains, values[h]) };

    const nan = () => new Float32Array(opts.schedule.draws).fill(NaN);
    const runs: ChainRun[] = chains.map(() => ({ losses: nan(), diagnostics: Object.fromEntries(DIAGNOSTICS.map((d) => [d, nan()])) as ChainRun['diagnostics'] }));
    const elements = elementCount(shape.yRow);
    const total = totalSteps(opts.schedule);
    // What the graph carries from run to run: graph input → its output after the run.
    const zeros = (dims: number[]) => ({ dataType: DataType.FLOAT, dims, data: new Float32Array(elementCount(dims)) }) as TensorValue;
    const carried = new Map<string, { output: string; value: TensorValue }>([[IO.params, { output: IO.paramsOut, value: w0 }]]);
    // RMSProp's running mean of squared gradients starts at 0, as devinterp's; MALA's first
    // "previous point" is a placeholder whose acceptance is never kept.
    if (opts.sampler === 'rmsprop_sgld') carried.set(IO.squareAvg, { output: IO.squareAvgOut, value: zeros([C, P]) });
    else {
      carried.set(IO.malaPoint, { output: IO.malaPointOut, value: w0 });
      carried.set(IO.malaDrift, { output: IO.malaDriftOut, value: zeros([C, P]) });
      carried.set(IO.malaEnergy, { output: IO.malaEnergyOut, value: zeros([C, 1]) });
    }
    let done = 0;
    while (done < total && runs.some((r) => !r.divergence)) {
      const K = Math.min(opts.stepsPerRun, total - done);
      const b = drawBatches(loaders, K, elements);
      const out = await runSession(session, {
        ...fixed,
        ...Object.fromEntries([...carried].map(([input, state]) => [input, state.value])),
        [IO.batchIndices]: { dataType: DataType.INT64, dims: b.dims, data: b.indices },
        [IO.batchWeights]: { dataType: DataType.FLOAT, dims: b.dims, data: b.weights },
        [IO.batchWidths]: { dataType: DataType.INT64, dims: [K], data: b.widths },
        [IO.noise]: drawNoise(noises, K, P),
      });
      for (const state of carried.values()) state.value = out[state.output]!;
      const loss = out[IO.loss]!.data as Float32Array;
      const measured = DIAGNOSTICS.filter((d) => out[d]).map((d) => [d, out[d]!.data as Float32Array] as const);
      for (let k = 0; k < K; k++) {
        const step = done + k;
        const draw = drawAt(opts.schedule, step);
        runs.forEach((run, c) => {
          if (run.divergence) return;
          const value = loss[k * C + c]!;
          if (!Number.isFinite(value)) run.divergence = { step, draw: draw ?? null };
          else if (draw !== undefined) {
            run.losses[draw] = value;
            for (const [d, values] of measured) if (d !== 'mala_acceptance' || step > 0) run.diagnostics[d][draw] = values[k * C + c]!;
          }
        });
      }
      done += K;
      opts.onProgress?.(K * C);
    }
    // Steps skipped because every chain diverged count as done.
    if (done < total) opts.onProgress?.((total - done) * C);
    return runs;
  } finally {
    await session.release();
  }
}

/** A chain's noise and minibatch streams, both drawn from its own PCG32 `rng`: first the
 * noise stream's seed, then every minibatch order. */
export function chainStreams(rng: Pcg32, rows: number, batchSize: number): { noise: NoiseStream; loader: ShuffledLoader } {
  const noise = new NoiseStream(rng);
  return { noise, loader: new ShuffledLoader(rows, batchSize, rng) };
}

/** The minibatches of init_loss: the first `batches` of a fresh shuffled loader on `rng`. */
export function initLossBatches(rng: Pcg32, rows: number, batchSize: number, batches: number): number[][] {
  const loader = new ShuffledLoader(rows, batchSize, rng);
  return Array.from({ length: batches }, () => loader.next());
}

/**
 * init_loss per starting point: the minibatch losses at w₀ over `batches[i]` (row lists),
 * averaged as devinterp averages its first minibatches (each batch alike), or with `byRows`
 * weighted by their rows — over one pass of the rows, the loss on all of them.
 */
export async function initLosses(
  model: SgldModel,
  w0s: readonly Float32Array[],
  batches: readonly (readonly number[][])[],
  data: Dataset,
  opts: SessionOptions & { batchSize: number },
  byRows = false,
): Promise<number[]> {
  return (await batchLosses(model, w0s, batches, data, opts)).map((losses, i) => {
    const b = batches[i]!;
    if (!byRows) return losses.reduce((sum, l) => sum + l, 0) / b.length;
    return losses.reduce((sum, l, k) => sum + l * b[k]!.length, 0) / b.reduce((n, rows) => n + rows.length, 0);
  });
}

/** The minibatch loss at w₀ of point i on each of the row lists `batches[i]`. */
async function batchLosses(
  model: SgldModel,
  w0s: readonly Float32Array[],
  batches: readonly (readonly number[][])[],
  data: Dataset,
  opts: SessionOptions & { batchSize: number },
): Promise<number[][]> {
  const P = parameterTotal(model);
  const elements = elementCount(data.y.dims.slice(1));
  // One "chain" of the loss graph per (starting point, minibatch).
  const rows = w0s.flatMap((w0, i) => batches[i]!.map((batch) => ({ w0, batch })));
  const width = Math.min(opts.batchSize, rowCount(data));
  const losses: number[] = [];
  for (const group of groups(rows, model.chainAxis ? opts.maxChains : 1)) {
    const session = await createSession(buildLossGraph(model, graphShape(model, data, group.length, opts.batchSize)), { device: opts.device, threads: opts.threads });
    try {
      const b = batchTensors([group.map((r) => r.batch)], width, elements);
      const out = await runSession(session, {
        [IO.params]: concatRows(group.map((r) => r.w0), P),
        [IO.batchIndices]: { dataType: DataType.INT64, dims: b.dims.slice(1), data: b.indices },
        [IO.batchWeights]: { dataType: DataType.FLOAT, dims: b.dims.slice(1), data: b.weights },
        [IO.x]: data.x,
        [IO.y]: data.y,
      });
      losses.push(...(out[IO.loss]!.data as Float32Array));
    } finally {
      await session.release();
    }
  }
  let at = 0;
  return batches.map((b) => losses.slice(at, (at += b.length)));
}

/** The next `steps` noise vectors of every chain: [steps, chains, P]. */
function drawNoise(streams: readonly NoiseStream[], steps: number, P: number): TensorValue {
  const data = new Float32Array(steps * streams.length * P);
  for (let k = 0; k < steps; k++) streams.forEach((s, c) => s.fill(data, (k * streams.length + c) * P, P));
  return { dataType: DataType.FLOAT, dims: [steps, streams.length, P], data };
}

function rowCount(data: Dataset): number {
  return data.x.dims[0]!;
}

function graphShape(model: SgldModel, data: Dataset, chains: number, batchSize: number): GraphShape {
  const shape: GraphShape = { chains, batch: Math.min(batchSize, rowCount(data)), xRow: data.x.dims.slice(1), yRow: data.y.dims.slice(1) };
  return data.loss ? { ...shape, loss: data.loss } : shape;
}

function concatRows(rows: readonly Float32Array[], P: number): TensorValue {
  const data = new Float32Array(rows.length * P);
  rows.forEach((r, i) => data.set(r, i * P));
  return { dataType: DataType.FLOAT, dims: [rows.length, P], data };
}

/** The chains each session of sampleChains runs: a queue's shards (pipeline/lib/queue) are these. */
export function sessionGroups<T>(model: SgldModel, chains: readonly T[], maxChains: number): T[][] {
  return groups(chains, model.chainAxis ? maxChains : 1);
}

/** Splits items into the fewest groups of at most `max`, of nearly equal size. */
function groups<T>(items: readonly T[], max: number): T[][] {
  const count = Math.ceil(items.length / max);
  const size = Math.ceil(items.length / count);
  return Array.from({ length: count }, (_, i) => items.slice(i * size, (i + 1) * size));
}
