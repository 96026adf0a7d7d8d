// The head node's side of any stage on the queue: its shards go on the queue of their code
// version, the head follows them (one progress total over all workers, and who listens) and
// returns every result once all are in. Anything that goes wrong — a failed shard, Redis gone
// or emptied — throws before the stage writes a file, so no partial artifact is ever
// committed. head.ts plans a sampling stage's shards, train-head.ts the train stage's.
import { Job, Queue } from 'bullmq';
import { putBlob } from './blobs.ts';
import { queueName, type QueueAddress } from './connection.ts';
import { rosterVersions } from './roster.ts';
import { jobId, type Shard, type ShardResult } from './shards.ts';

/** How often the head looks at its shards. */
const POLL_MS = 100;
/** How long the head waits for an unreachable Redis before it gives up. */
export const REDIS_PATIENCE_MS = 30_000;
/** A shard that fails this often (a worker error, not a refusal) fails the stage. */
const ATTEMPTS = 3;
const KEEP_S = 24 * 3600;
/** How often the head looks again at who listens, and says so when that changed. */
const LISTENERS_MS = 5_000;

/** Puts the shards `plan` makes (with `put` storing their inputs) on the queue of `version`,
 * follows them to the end and removes them; `units` is a shard's share of the progress. */
export async function runShards(
  address: QueueAddress,
  version: string,
  plan: (put: (bytes: Uint8Array) => Promise<string>) => Promise<Shard[]>,
  units: (shard: Shard) => number,
  decode: (returned: never) => ShardResult,
  onProgress: (units: number) => void,
  log: (message: string) => void,
): Promise<{ shards: Shard[]; done: Map<string, ShardResult> }> {
  // Without the offline queue a command fails at once while Redis is away, so the head can
  // say so instead of hanging.
  const queue = new Queue(queueName(version), { connection: { ...address.connection, enableOfflineQueue: false } });
  queue.on('error', () => {}); // reconnection errors surface through the polls below
  const ids: string[] = [];
  let watch: NodeJS.Timeout | undefined;
  try {
    await queue.waitUntilReady().catch((e) => {
      throw new Error(`cannot reach the queue at ${address.url}: ${(e as Error).message}`);
    });
    const redis = await queue.client;
    const shards = await plan((bytes) => putBlob(redis, bytes));
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
    const done = await follow(queue, ids, shards.map((shard) => shard.id), shards.map(units), decode, address.url, onProgress, log);
    return { shards, done };
  } finally {
    clearInterval(watch);
    // A finished stage has read its shards; a failed one should not leave work behind.
    await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)));
    await queue.close().catch(() => {});
  }
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
async function follow(queue: Queue, ids: readonly string[], names: readonly string[], perShard: readonly number[], decode: (returned: never) => ShardResult, url: string, onProgress: (units: number) => void, log: (m: string) => void): Promise<Map<string, ShardResult>> {
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
      if (states[k] === 'completed') results.set(id, decode(job.returnvalue as never));
      else progress.set(id, typeof job.progress === 'number' ? job.progress : 0);
    });
    const total = ids.reduce((n, id, k) => n + (results.has(id) ? perShard[k]! : Math.min(progress.get(id) ?? 0, perShard[k]!)), 0);
    if (total !== reported) onProgress(total - reported);
    reported = total;
  }
  return results;
}
