// `pipeline worker`: takes shards from the queues (pipeline/lib/queue) — sampling chains, or
// a training seed, each kind on the queue of its own code version — and runs them on this
// host's device until stopped. BullMQ hands each shard to one worker at a time, renews its
// lock while it runs, and gives it to another worker when this one dies.
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { resolveDevice, type DeviceChoice } from '../lib/sgld/device.ts';
import { BlobCache } from '../lib/queue/blobs.ts';
import { parseQueueUrl, QUEUE_ENV, queueName } from '../lib/queue/connection.ts';
import { joinRoster } from '../lib/queue/roster.ts';
import { runShard } from '../lib/queue/shard-runner.ts';
import { runTrainShard } from '../lib/queue/train-runner.ts';
import { encodeResult, type EncodedResult } from '../lib/queue/results.ts';
import { samplingVersion } from '../lib/queue/sampling-version.ts';
import { trainingVersion } from '../lib/queue/training-version.ts';
import { Shard, type ShardResult } from '../lib/queue/shards.ts';
import type { Device } from '../lib/onnx/ort.ts';
import { parse, UsageError, type Command } from '../command.ts';

/** A running shard's lock lasts this long and is renewed at half of it; a worker that
 * stops renewing (killed, or its host gone) has its shard taken back after the lock runs
 * out and the next stalled-job check, every STALLED_MS. */
const LOCK_MS = 15_000;
const STALLED_MS = 5_000;
/** How often one shard may be taken back from a dead worker before it counts as failed. */
const MAX_STALLED = 2;
/** Progress reaches the head at most this often per shard. */
const PROGRESS_MS = 500;

const DEVICES = ['auto', 'cpu', 'cuda'] as const;

export const workerCommand: Command = {
  usage: `pipeline worker --queue redis://HOST:PORT[/db] [options]

Takes shards from the queue that \`pipeline run --queue\` fills — a training seed (train),
or SGLD chains (estimate, sweep, calibration) — runs them here, and sends the results back;
runs until stopped. Inputs
(model, weights, data) come from Redis by sha256, so a worker host needs only this
checkout and the queue's address. A worker takes only shards of its own code versions (the
sampling code, and the training code, each with the lockfile, package versions and Node;
printed at start), so it never runs a shard it could not reproduce: a head of another version leaves its shards to the workers of
its version and says that this one runs another.
Ctrl-C finishes the running shards and exits; a second Ctrl-C returns them to the queue
at once for another worker.

Options:
  --queue <url>         the Redis queue (default: $${QUEUE_ENV})
  --device <d>          auto (cuda where its provider loads, else cpu), cpu or cuda (default auto);
                        all workers of one stage must run on the same kind of device
  --concurrency <n>     shards run at once, of each kind (default 1)
  -h, --help            this text`,

  async main(argv) {
    const { values } = parse(argv, { queue: { type: 'string' }, device: { type: 'string' }, concurrency: { type: 'string' } });
    const url = values.queue ?? process.env[QUEUE_ENV];
    if (!url) throw new UsageError(`name the queue: --queue redis://HOST:PORT[/db] (or set ${QUEUE_ENV})`);
    const choice = (values.device ?? 'auto') as DeviceChoice;
    if (!DEVICES.includes(choice)) throw new UsageError(`--device ${values.device}: expected ${DEVICES.join(', ')}`);
    const concurrency = Number(values.concurrency ?? 1);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency ${values.concurrency}: expected a whole number, at least 1`);
    let address;
    try {
      address = parseQueueUrl(url);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }

    const { device, reason } = await resolveDevice(choice);
    const versions = { sampling: samplingVersion(), training: trainingVersion() };
    const me = `${hostname()}:${process.pid}`;
    const log = (m: string) => process.stderr.write(`worker ${me}: ${m}\n`);
    const active = new Map<string, { job: Job; token: string | undefined }>();
    let blobs: BlobCache | undefined;
    type Runner = (shard: Shard, blobs: BlobCache, device: Device, worker: string, onProgress: (units: number) => void) => Promise<ShardResult>;

    /** One BullMQ worker on the queue of `version`, running its shards with `run`. */
    const listen = (version: string, run: Runner) => {
      const worker: Worker<unknown, EncodedResult> = new Worker<unknown, EncodedResult>(
        queueName(version),
        async (job, token) => {
          const parsed = Shard.safeParse(job.data);
          if (!parsed.success) throw new UnrecoverableError(`job ${job.id} is not a shard: ${parsed.error.issues[0]?.message}`);
          const shard = parsed.data;
          // The queue is this version's; a shard that disagrees was put there by something else.
          if (shard.version !== version) throw new UnrecoverableError(`shard ${shard.id} names code version ${shard.version} but is on the queue of ${version}`);
          active.set(job.id!, { job, token });
          const task = shard.task;
          log(`shard ${shard.id}: ${task.kind === 'init' ? `init losses of ${task.points.length} starting points` : task.kind === 'chains' ? `${task.chains.length} chains` : `training seed ${task.seed}, ${(task.config as { steps: number }).steps} steps`}`);
          const started = performance.now();
          let units = 0;
          let sent = 0;
          try {
            blobs ??= new BlobCache(await worker.client);
            const result = await run(shard, blobs, device, me, (n) => {
              units += n;
              if (performance.now() - sent >= PROGRESS_MS) {
                sent = performance.now();
                job.updateProgress(units).catch(() => {});
              }
            });
            const seconds = (performance.now() - started) / 1000;
            log(`shard ${shard.id} done: ${units} ${task.kind === 'train' ? 'training steps' : 'chain-steps'} in ${seconds.toFixed(3)} s`);
            return encodeResult(result);
          } finally {
            active.delete(job.id!);
          }
        },
        { connection: address.connection, concurrency, lockDuration: LOCK_MS, stalledInterval: STALLED_MS, maxStalledCount: MAX_STALLED, name: me },
      );
      let lastError = '';
      worker.on('error', (e) => {
        if (e.message !== lastError) log(`queue error: ${e.message}`);
        lastError = e.message;
      });
      worker.on('failed', (job, e) => job && !(e instanceof UnrecoverableError) && log(`shard ${job.name} failed: ${e.message}`));
      return worker;
    };
    const workers = [listen(versions.sampling, runShard), listen(versions.training, runTrainShard)];
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    const leaveRoster = await joinRoster(await workers[0]!.client, me, [versions.sampling, versions.training]);
    const closeAll = () => Promise.all(workers.map((w) => w.close()));
    log(`listening on ${address.url} for shards of code version ${versions.sampling} (sampling) and ${versions.training} (training): device ${device} (${reason}), ${concurrency} at a time`);

    let stops = 0;
    const stopped = new Promise<number>((resolve) => {
      process.on('SIGINT', () => {
        stops += 1;
        if (stops === 1) {
          log(`stopping: finishing ${active.size} running shard${active.size === 1 ? '' : 's'} (Ctrl-C again returns them to the queue)`);
          void leaveRoster().then(closeAll).then(() => resolve(0));
        } else {
          log(`returning ${active.size} shard${active.size === 1 ? '' : 's'} to the queue`);
          // Exits at once: the shards' sampling is abandoned, not awaited.
          void Promise.all([...active.values()].map(({ job, token }) => job.moveToWait(token).catch(() => 0))).then(() => process.exit(130));
        }
      });
      process.on('SIGTERM', () => void leaveRoster().then(closeAll).then(() => resolve(0)));
    });
    return await stopped;
  },
};
