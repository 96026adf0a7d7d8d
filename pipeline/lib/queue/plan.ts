// A sampling stage's work as shards, and their results merged back: what the queue's head
// (head.ts) and the local processes (processes.ts) share. One init shard, then runLlc's
// session groups of chains, inputs stored by hash; merged in shard order, the results are
// the bits runLlc gives in-process.
import type { Device } from '../onnx/ort.ts';
import { mergeRuns, scheduleOf, type LlcResult, type LlcSettings, type StartPoint } from '../sgld/estimate-llc.ts';
import { totalSteps } from '../sgld/draw-schedule.ts';
import type { SgldModel } from '../sgld/sampled-model.ts';
import { SAMPLER_DEFAULTS, sessionGroups, type Dataset } from '../sgld/sessions.ts';
import { datasetBytes, float32Bytes } from './blobs.ts';
import { chainsShardId, INIT_SHARD, type PointRef, type Shard, type ShardResult } from './shards.ts';

/** The init shard, then runLlc's session groups of chains, inputs stored by hash through `put`. */
export async function planSamplingShards(version: string, model: SgldModel, points: readonly StartPoint[], data: Dataset, s: LlcSettings, put: (bytes: Uint8Array) => Promise<string>): Promise<Shard[]> {
  if (!model.seedConfig) throw new Error('only the seed transformer can be sampled in shards');
  const common = { version, model: await put(Buffer.from(JSON.stringify(model.seedConfig))), data: await put(datasetBytes(data)), settings: s };
  const hashes = new Map<Float32Array, string>();
  const hashOf = async (a: Float32Array) => hashes.get(a) ?? hashes.set(a, await put(float32Bytes(a))).get(a)!;
  const refs: PointRef[] = [];
  for (const p of points) {
    refs.push({
      w0: await hashOf(p.w0),
      ...(p.mask ? { mask: await hashOf(p.mask) } : {}),
      key: p.key,
      ...(p.trainSeed !== undefined ? { trainSeed: p.trainSeed } : {}),
      ...(p.lr !== undefined ? { lr: p.lr } : {}),
      ...(p.nbeta !== undefined ? { nbeta: p.nbeta } : {}),
    });
  }
  const chains = refs.flatMap((ref) => Array.from({ length: s.num_chains }, (_, chain) => ({ ...ref, chain })));
  return [
    { ...common, id: INIT_SHARD, task: { kind: 'init', points: refs } },
    ...sessionGroups(model, chains, SAMPLER_DEFAULTS.maxChains).map((group, i): Shard => ({ ...common, id: chainsShardId(i), task: { kind: 'chains', chains: group } })),
  ];
}

/** A shard's share of the progress: its chain-steps. */
export function samplingUnits(s: LlcSettings): (shard: Shard) => number {
  return (shard) => (shard.task.kind === 'chains' ? shard.task.chains.length * totalSteps(scheduleOf(s)) : 0);
}

export interface MergedSampling {
  results: LlcResult[];
  device: Device;
  /** Every worker that delivered a shard. */
  workers: string[];
}

/** The shards' results (in shard order) as runLlc's: its init losses and chain runs. */
export function mergeSampling(points: readonly StartPoint[], byShard: readonly ShardResult[], s: LlcSettings): MergedSampling {
  const devices = [...new Set(byShard.map((r) => r.device))];
  if (devices.length > 1) throw new Error(`the shards ran on ${devices.join(' and ')}: chains round differently per device, so the result would depend on which worker took which shard; run every worker with the same --device`);
  const init = byShard[0]!.initLosses;
  const runs = byShard.slice(1).flatMap((r) => r.runs ?? []);
  if (init?.length !== points.length || runs.length !== points.length * s.num_chains) throw new Error(`the shards returned ${init?.length ?? 0} init losses and ${runs.length} chains for ${points.length} starting points × ${s.num_chains} chains`);
  return { results: mergeRuns(points, init, runs, s), device: devices[0]!, workers: [...new Set(byShard.map((r) => r.worker))].sort() };
}
