// Sampling through BullMQ on a real redis-server: a tiny estimate run by real `pipeline
// worker` processes gives the same artifact bytes as in-process — with two workers, with one
// SIGKILLed mid-shard, next to a worker of another code version (run from an edited copy of
// the repository) that never takes a shard — and so do the sweep and calibration; a Redis
// that restarts empty fails the stage without touching the artifacts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { ROOT, pipeline } from '../helpers/cli.ts';
import { TINY } from '../helpers/report-run.ts';
import { repoCopy } from '../helpers/repo-copy.ts';

const BIN = join(ROOT, 'bin/pipeline.mjs');
const redisInstalled = (() => {
  try {
    execFileSync('redis-server', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
const SKIP = redisInstalled ? false : 'redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)';

// 4 checkpoints × 6 chains: an init shard and three 8-chain shards (runLlc's sessions).
const SETS = [...TINY, '--set', 'train.seeds=[0]', '--set', 'estimate.num_chains=6', '--set', 'estimate.num_draws=100'];
/** What the estimate stage writes besides its manifest (whose runtime section names the device, timings and workers). */
const compared = (dir: string) =>
  Object.fromEntries(readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name !== 'manifest.json').map((e) => {
    const path = join(e.parentPath, e.name);
    return [path.slice(dir.length), readFileSync(path)];
  }));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts and returns a child once `ready` appears in its output; it is killed when the test ends. */
async function started(t: TestContext, child: ResultPromise, ready: string): Promise<{ child: ResultPromise; output: () => string }> {
  let text = '';
  child.all!.on('data', (d: Buffer) => (text += d.toString()));
  t.after(() => child.kill('SIGKILL'));
  child.catch(() => {});
  await waitFor(() => text.includes(ready), () => `never printed "${ready}":\n${text}`);
  return { child, output: () => text };
}

async function waitFor(ok: () => boolean, why: () => string, ms = 120_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(why());
    await new Promise((r) => setTimeout(r, 50));
  }
}

const redis = (t: TestContext, port: number) =>
  started(t, execa('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { all: true }), 'Ready to accept connections');

/** A `pipeline worker` of the repository at `repo`. */
const worker = (t: TestContext, url: string, repo = ROOT) =>
  started(t, execa(process.execPath, [join(repo, 'bin/pipeline.mjs'), 'worker', '--queue', url, '--device', 'cpu'], { all: true, cwd: repo }), 'listening on');

const versionOf = (workerOutput: string) => /for shards of code version (\w+)/.exec(workerOutput)![1]!;

type Files = Record<string, Buffer>;
/** One run for all tests, with generate, train, export and in-process sampling stages: its root and the stages' files. */
let base: Promise<{ root: string; files: Files; sweep: Files; calibration: Files }> | undefined;
const baseRoot = mkdtempSync(join(tmpdir(), 'llc-queue-'));
after(() => rmSync(baseRoot, { recursive: true, force: true })); // at the top level: after every test
function baseRun(): Promise<{ root: string; files: Files; sweep: Files; calibration: Files }> {
  base ??= (async () => {
    const root = baseRoot;
    const r = await pipeline(['run', 'estimate', 'sweep', 'calibration', '--run', 'q', ...SETS], root);
    assert.equal(r.code, 0, r.stderr);
    const files = (stage: string) => compared(join(root, 'q', stage));
    return { root, files: files('estimate'), sweep: files('sweep'), calibration: files('calibration') };
  })();
  return base;
}

/** The estimate (or `stages`) again, through the queue; --single: on the very upstream artifacts the in-process one read. */
function viaQueue(t: TestContext, root: string, url: string, stages = ['estimate']) {
  const run = execa(process.execPath, [BIN, 'run', ...stages, '--run', 'q', '--single', '--force', '--queue', url], { all: true, cwd: ROOT, reject: false, env: { PIPELINE_ARTIFACTS: root } });
  t.after(() => run.kill('SIGKILL'));
  return run;
}

test('an estimate through Redis with two workers is byte-identical to in-process', { skip: SKIP, timeout: 300_000 }, async (t) => {
  const port = await freePort();
  await redis(t, port);
  const url = `redis://127.0.0.1:${port}`;
  const { root, files } = await baseRun();
  assert.equal(Object.keys(files).length, 6); // estimates.json, health.json, 4 traces
  await Promise.all([worker(t, url), worker(t, url)]);
  const r = await viaQueue(t, root, url);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.all, /4 shards on redis/);
  assert.deepEqual(compared(join(root, 'q', 'estimate')), files);
  const manifest = JSON.parse(readFileSync(join(root, 'q', 'estimate', 'manifest.json'), 'utf8'));
  assert.equal(manifest.runtime.queue, url);
  assert.equal(manifest.runtime.queue_shards, 4);
});

test('a worker SIGKILLed mid-shard: another takes the shard over and the artifacts are still byte-identical', { skip: SKIP, timeout: 300_000 }, async (t) => {
  const port = await freePort();
  await redis(t, port);
  const url = `redis://127.0.0.1:${port}`;
  const { root, files } = await baseRun();
  const workers = await Promise.all([worker(t, url), worker(t, url), worker(t, url)]);
  const run = viaQueue(t, root, url);
  let head = '';
  run.all!.on('data', (d: Buffer) => (head += d.toString()));
  // Kill the first worker seen starting a chains shard (which one gets which is BullMQ's choice).
  const starting = /shard (s\d{4}): 8 chains/;
  await waitFor(() => workers.some((w) => starting.test(w.output())), () => `no worker took a chains shard:\n${workers.map((w) => w.output()).join('\n')}\nthe head:\n${head}`);
  const doomed = workers.find((w) => starting.test(w.output()))!;
  const others = workers.filter((w) => w !== doomed);
  const shard = starting.exec(doomed.output())![1]!;
  doomed.child.kill('SIGKILL');
  assert.doesNotMatch(doomed.output(), new RegExp(`shard ${shard} done`));
  const r = await run;
  assert.equal(r.exitCode, 0, r.all);
  assert.ok(others.some((w) => w.output().includes(`shard ${shard} done`)), `no other worker finished ${shard}:\n${others.map((w) => w.output()).join('\n')}`);
  assert.deepEqual(compared(join(root, 'q', 'estimate')), files);
});

test('a worker of another code version never takes a shard: the head says so, and a current worker runs the stage byte-identically', { skip: SKIP, timeout: 300_000 }, async (t) => {
  const port = await freePort();
  await redis(t, port);
  const url = `redis://127.0.0.1:${port}`;
  const { root, files } = await baseRun();
  // A sampling source edited in a copy of the repository: that copy's workers run another code version.
  const repo = repoCopy(t);
  appendFileSync(join(repo, 'pipeline/lib/sgld/update.ts'), '\n// edited: another code version\n');
  const stale = await worker(t, url, repo);
  const run = viaQueue(t, root, url);
  let head = '';
  run.all!.on('data', (d: Buffer) => (head += d.toString()));
  const says = /no worker of code version (\w+) is listening; the workers on redis:\/\/\S+ run code version (\w+) \(/;
  await waitFor(() => says.test(head), () => `the head never said its workers run another version:\n${head}`);
  const [, wanted, seen] = says.exec(head)!;
  assert.equal(seen, versionOf(stale.output()));
  assert.notEqual(seen, wanted);
  const current = await worker(t, url);
  assert.equal(versionOf(current.output()), wanted);
  const r = await run;
  assert.equal(r.exitCode, 0, r.all);
  assert.deepEqual(compared(join(root, 'q', 'estimate')), files);
  assert.match(current.output(), /shard init done/);
  assert.doesNotMatch(stale.output(), /shard /, 'the stale worker took a shard');
});

test('the sweep and calibration through Redis are byte-identical to in-process', { skip: SKIP, timeout: 300_000 }, async (t) => {
  const port = await freePort();
  await redis(t, port);
  const url = `redis://127.0.0.1:${port}`;
  const { root, sweep, calibration } = await baseRun();
  await worker(t, url);
  const r = await viaQueue(t, root, url, ['sweep', 'calibration']);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.all, /sweep: .*shards on redis/);
  assert.match(r.all, /calibration: .*shards on redis/);
  assert.deepEqual(compared(join(root, 'q', 'sweep')), sweep);
  assert.deepEqual(compared(join(root, 'q', 'calibration')), calibration);
});

test('training seeds through Redis, a shard each: checkpoints and Adam states byte-identical to in-process, the same metrics', { skip: SKIP, timeout: 300_000 }, async (t) => {
  const port = await freePort();
  await redis(t, port);
  const url = `redis://127.0.0.1:${port}`;
  const root = mkdtempSync(join(tmpdir(), 'llc-queue-train-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const here = await pipeline(['run', 'train', '--run', 'a', ...TINY], root);
  assert.equal(here.code, 0, here.stderr);
  const workers = await Promise.all([worker(t, url), worker(t, url)]);
  const queued = await pipeline(['run', 'train', '--run', 'b', ...TINY, '--queue', url], root);
  assert.equal(queued.code, 0, queued.stderr);
  assert.match(queued.stderr, /train: training through the queue at redis:\/\/127\.0\.0\.1:\d+: 2 seeds/);
  assert.match(queued.stderr, /train: 2 shards on redis/);
  const told = workers.map((w) => w.output()).join('\n');
  for (const seed of [0, 1]) assert.match(told, new RegExp(`shard train-seed-${seed}: training seed ${seed}, 40 steps[\\s\\S]*shard train-seed-${seed} done: 40 training steps`));
  const a = compared(join(root, 'a', 'train'));
  const b = compared(join(root, 'b', 'train'));
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  // Timings differ; every number the run computed does not.
  const untimed = (bytes: Buffer, file: string) => (file.endsWith('metrics.json') ? JSON.parse(bytes.toString()).rows.map(({ elapsed_s: _, ...r }: { elapsed_s: number }) => r) : file.endsWith('metrics.csv') ? bytes.toString().split('\n').map((l) => l.split(',').slice(0, -1).join()) : bytes);
  for (const file of Object.keys(a)) assert.deepEqual(untimed(b[file]!, file), untimed(a[file]!, file), file);
  assert.ok(Object.keys(a).some((f) => /seed-1\/checkpoints\/step-000040\.safetensors$/.test(f)));
  const manifest = JSON.parse(readFileSync(join(root, 'b', 'train', 'manifest.json'), 'utf8'));
  assert.equal(manifest.runtime.queue, url);
});

test('Redis restarted empty mid-stage: the stage fails saying so and leaves the artifacts as they were', { skip: SKIP, timeout: 300_000 }, async (t) => {
  const port = await freePort();
  const first = await redis(t, port);
  const url = `redis://127.0.0.1:${port}`;
  const { root, files } = await baseRun();
  const run = viaQueue(t, root, url); // no worker: the shards wait
  let head = '';
  run.all!.on('data', (d: Buffer) => (head += d.toString()));
  await waitFor(() => head.includes('shards on redis'), () => `the head never enqueued:\n${head}`);
  first.child.kill('SIGKILL');
  await first.child.catch(() => {});
  await redis(t, port);
  const r = await run;
  assert.equal(r.exitCode, 1, r.all);
  assert.match(r.all, /shard init is gone from the queue at redis:\/\/127\.0\.0\.1:\d+ \(Redis restarted without its data/);
  assert.deepEqual(compared(join(root, 'q', 'estimate')), files);
});
