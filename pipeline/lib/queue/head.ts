// The head node's side of a sampling stage: its starting points become shards on the queue
// (jobs.ts runs them), and once every shard is in they are merged in shard order into the
// results runLlc would have given in-process.
import type { Device } from '../onnx/ort.ts';
import { mergeRuns, scheduleOf, type LlcResult, type LlcSettings, type StartPoint } from '../sgld/estimate-llc.ts';
import { checkSchedule, totalSteps } from '../sgld/draw-schedule.ts';
import type { SgldModel } from '../sgld/sampled-model.ts';
import { SAMPLER_DEFAULTS, sessionGroups, type Dataset } from '../sgld/sessions.ts';
import { datasetBytes, float32Bytes } from './blobs.ts';
import type { QueueAddress } from './connection.ts';
import { runShards } from './jobs.ts';
import { decodeSampling } from './results.ts';
import { samplingVersion } from './sampling-version.ts';
import { chainsShardId, INIT_SHARD, jobId, type PointRef, type Shard, type ShardResult } from './shards.ts';

export interface QueuedSampling {
  results: LlcResult[];
  device: Device;
  shards: number;
  /** host:pid of every worker that delivered a shard. */
  workers: string[];
}

export async function runLlcOnQueue(
  address: QueueAddress,
  model: SgldModel,
  points: readonly StartPoint[],
  data: Dataset,
  s: LlcSettings,
  onProgress: (chainSteps: number) => void,
  log: (message: string) => void,
): Promise<QueuedSampling> {
  if (!model.seedConfig) throw new Error('only the seed transformer can be sampled through the queue');
  checkSchedule(scheduleOf(s));
  const version = samplingVersion();
  const units = (shard: Shard) => (shard.task.kind === 'chains' ? shard.task.chains.length * totalSteps(scheduleOf(s)) : 0);
  const { shards, done } = await runShards(address, version, (put) => planShards(version, model, points, data, s, put), units, decodeSampling, onProgress, log);
  return merge(points, shards, done, s);
}

/** The init shard, then runLlc's session groups of chains, inputs stored by hash. */
async function planShards(version: string, model: SgldModel, points: readonly StartPoint[], data: Dataset, s: LlcSettings, put: (bytes: Uint8Array) => Promise<string>): Promise<Shard[]> {
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

/** The shards' results in shard order: runLlc's init losses and chain runs. */
function merge(points: readonly StartPoint[], shards: readonly Shard[], done: Map<string, ShardResult>, s: LlcSettings): QueuedSampling {
  const byShard = shards.map((shard) => done.get(jobId(shard))!);
  const devices = [...new Set(byShard.map((r) => r.device))];
  if (devices.length > 1) throw new Error(`the shards ran on ${devices.join(' and ')}: chains round differently per device, so the result would depend on which worker took which shard; run every worker with the same --device`);
  const init = byShard[0]!.initLosses;
  const runs = byShard.slice(1).flatMap((r) => r.runs ?? []);
  if (init?.length !== points.length || runs.length !== points.length * s.num_chains) throw new Error(`the shards returned ${init?.length ?? 0} init losses and ${runs.length} chains for ${points.length} starting points × ${s.num_chains} chains`);
  return { results: mergeRuns(points, init, runs, s), device: devices[0]!, shards: shards.length, workers: [...new Set(byShard.map((r) => r.worker))].sort() };
}
