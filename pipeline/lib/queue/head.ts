// The head node's side: a sampling stage's starting points, or the train stage's seeds,
// become shards on the queue; the head follows them (one progress total over all workers),
// and once every shard is in it merges them in shard order into the results the stage would
// have computed in-process. Anything
// that goes wrong — a failed shard, Redis gone or emptied — throws before the
// stage writes a file, so no partial artifact is ever committed.
import { Job, Queue } from 'bullmq';
import type { Device } from '../onnx/ort.ts';
import { mergeRuns, scheduleOf, type LlcResult, type LlcSettings, type StartPoint } from '../sgld/estimate-llc.ts';
import { checkSchedule, totalSteps } from '../sgld/draw-schedule.ts';
import type { SgldModel } from '../sgld/sampled-model.ts';
import { SAMPLER_DEFAULTS, sessionGroups, type Dataset } from '../sgld/sessions.ts';
import { datasetBytes, float32Bytes, putBlob, splitBytes } from './blobs.ts';
import { queueName, type QueueAddress } from './connection.ts';
import { rosterVersions } from './roster.ts';
import { chainsShardId, codeVersion, decodeResult, INIT_SHARD, jobId, trainShardId, type EncodedResult, type PointRef, type Shard, type ShardResult } from './shards.ts';
import type { Config } from '../../../schemas/config.ts';
import type { SplitTensors } from '../../../schemas/dataset.ts';
import type { SeedModelConfig } from '../model/config.ts';
import type { SeedRunResult } from '../../../stages/train/train-seed.ts';

/** How often the head looks at its shards. */
const POLL_MS = 100;
/** How long the head waits for an unreachable Redis before it gives up. */
export const REDIS_PATIENCE_MS = 30_000;
/** A shard that fails this often (a worker error, not a refusal) fails the stage. */
const ATTEMPTS = 3;
const KEEP_S = 24 * 3600;
/** How often the head looks again at who listens, and says so when that changed. */
const LISTENERS_MS = 5_000;

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
  const { shards, done } = await runShards(address, (version, put) => planShards(version, model, points, data, s, put), (shard) => (shard.task.kind === 'chains' ? shard.task.chains.length * totalSteps(scheduleOf(s)) : 0), onProgress, log);
  return merge(points, shards, done, s);
}

export interface QueuedTraining {
  /** Per seed, in train.seeds order: the files of its folder and what the run reports. */
  seeds: { files: Record<string, Uint8Array>; result: SeedRunResult }[];
  device: Device;
  workers: string[];
}

/** The train stage's seeds as one shard each; every shard's steps count as its progress. */
export async function trainOnQueue(
  address: QueueAddress,
  cfg: SeedModelConfig,
  config: Config['train'],
  train: SplitTensors,
  test: SplitTensors,
  inputs: unknown,
  onProgress: (steps: number) => void,
  log: (message: string) => void,
): Promise<QueuedTraining> {
  const plan = async (version: string, put: (bytes: Uint8Array) => Promise<string>): Promise<Shard[]> => {
    const common = { version, model: await put(Buffer.from(JSON.stringify(cfg))), data: await put(splitBytes(train)), settings: {} };
    const testSplit = await put(splitBytes(test));
    return config.seeds.map((seed): Shard => ({ ...common, id: trainShardId(seed), task: { kind: 'train', seed, config, test: testSplit, inputs: JSON.stringify(inputs) } }));
  };
  const { shards, done } = await runShards(address, plan, () => config.steps, onProgress, log);
  const byShard = shards.map((shard) => done.get(jobId(shard))!);
  const devices = [...new Set(byShard.map((r) => r.device))];
  if (devices.length > 1) throw new Error(`the seeds trained on ${devices.join(' and ')}: runs round differently per device; run every worker with the same --device`);
  return { seeds: byShard.map((r) => ({ files: r.files!, result: r.training! })), device: devices[0]!, workers: [...new Set(byShard.map((r) => r.worker))].sort() };
}

/** Puts the planned shards on the queue of this code version, follows them to the end and
 * removes them; anything that goes wrong throws before the stage writes a file. */
async function runShards(
  address: QueueAddress,
  plan: (version: string, put: (bytes: Uint8Array) => Promise<string>) => Promise<Shard[]>,
  units: (shard: Shard) => number,
  onProgress: (units: number) => void,
  log: (message: string) => void,
): Promise<{ shards: Shard[]; done: Map<string, ShardResult> }> {
  // Without the offline queue a command fails at once while Redis is away, so the head can
  // say so instead of hanging.
  const version = codeVersion();
  const queue = new Queue(queueName(version), { connection: { ...address.connection, enableOfflineQueue: false } });
  queue.on('error', () => {}); // reconnection errors surface through the polls below
  const ids: string[] = [];
  let watch: NodeJS.Timeout | undefined;
  try {
    await queue.waitUntilReady().catch((e) => {
      throw new Error(`cannot reach the queue at ${address.url}: ${(e as Error).message}`);
    });
    const redis = await queue.client;
    const shards = await plan(version, (bytes) => putBlob(redis, bytes));
    ids.push(...shards.map(jobId));
    await queue.addBulk(shards.map((shard, k) => ({ name: shard.id, data: shard, opts: { jobId: ids[k]!, attempts: ATTEMPTS, removeOnComplete: { age: KEEP_S }, removeOnFail: { age: KEEP_S } } })));
    log(`${shards.length} shards on ${address.url} (code version ${version})`);
    let said = '';
    const sayListeners = async () => {
      const now = await listeners(queue, version, address.url);
      if (now !== said) log(now);
      said = now;
    };
    await sayListeners();
    watch = setInterval(() => void sayListeners().catch(() => {}), LISTENERS_MS); // a lost Redis is follow's to report
    const done = await follow(queue, ids, shards.map((shard) => shard.id), shards.map(units), address.url, onProgress, log);
    return { shards, done };
  } finally {
    clearInterval(watch);
    // A finished stage has read its shards; a failed one should not leave work behind.
    await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)));
    await queue.close().catch(() => {});
  }
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

/** Who can take the shards: the workers of this code version, or why there are none — the
 * workers there run another version, or none listens at all. */
async function listeners(queue: Queue, version: string, url: string): Promise<string> {
  const workers = await queue.getWorkersCount();
  if (workers > 0) return `${workers} worker${workers === 1 ? '' : 's'} of code version ${version} listening`;
  const others = [...(await rosterVersions(await queue.client))].filter(([v]) => v !== version);
  if (others.length === 0) return `no worker listening — start \`pipeline worker --queue ${url}\` on the worker hosts`;
  const named = others.map(([v, ws]) => `${v} (${ws.join(', ')})`).join(', ');
  return `no worker of code version ${version} is listening; the workers on ${url} run code version ${named}, so the shards wait: give those hosts the head's checkout (same commit, npm ci) and restart their workers`;
}

/** Polls the shards until all are complete; reports the units (chain-steps, training steps) done over all workers. */
async function follow(queue: Queue, ids: readonly string[], names: readonly string[], perShard: readonly number[], url: string, onProgress: (chainSteps: number) => void, log: (m: string) => void): Promise<Map<string, ShardResult>> {
  const results = new Map<string, ShardResult>();
  const progress = new Map<string, number>();
  let lastContact = Date.now();
  let reported = 0;
  let warned = false;
  while (results.size < ids.length) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    let states: string[];
    let jobs: (Job | undefined)[];
    const open = ids.filter((id) => !results.has(id));
    try {
      // The state first: a job read before its state could predate the result it reports.
      states = await Promise.all(open.map((id) => queue.getJobState(id)));
      jobs = await Promise.all(open.map((id) => Job.fromId(queue, id)));
    } catch (e) {
      const away = Date.now() - lastContact;
      if (away > REDIS_PATIENCE_MS) throw new Error(`lost the queue at ${url} for ${Math.round(away / 1000)} s (${(e as Error).message}); no artifact was written — rerun the stage once Redis is back`);
      if (!warned) log(`lost the queue at ${url} (${(e as Error).message}); waiting up to ${REDIS_PATIENCE_MS / 1000} s for it`);
      warned = true;
      continue;
    }
    if (warned) log(`the queue at ${url} is back`);
    warned = false;
    lastContact = Date.now();
    open.forEach((id, k) => {
      const job = jobs[k];
      const name = names[ids.indexOf(id)];
      if (!job || states[k] === 'unknown') throw new Error(`shard ${name} is gone from the queue at ${url} (Redis restarted without its data, or the job was removed); no artifact was written — rerun the stage`);
      if (states[k] === 'failed') throw new Error(`shard ${name} failed on the workers: ${job.failedReason}`);
      if (states[k] === 'completed') results.set(id, decodeResult(job.returnvalue as EncodedResult));
      else progress.set(id, typeof job.progress === 'number' ? job.progress : 0);
    });
    const total = ids.reduce((n, id, k) => n + (results.has(id) ? perShard[k]! : Math.min(progress.get(id) ?? 0, perShard[k]!)), 0);
    if (total !== reported) onProgress(total - reported);
    reported = total;
  }
  return results;
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
