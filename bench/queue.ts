// `npm run bench:queue`: chain-steps/s of one estimate through the Redis queue with 1 and 2
// `pipeline worker` processes against in-process, and the queue's overhead per shard — with
// one worker, (the stage's sampling time − the time the worker spent in its shards) / shards,
// which leaves out the machine's other load. Needs
// redis-server on PATH; starts its own on a free port, and a tiny run in a temp folder.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin/pipeline.mjs');
// The test's tiny model (test/helpers/report-run.ts): 4 checkpoints × 16 chains × 500 draws.
const SETS = [
  'generate.n_samples=300', 'train.batch_size=32', 'train.steps=40', 'train.eval_every=10', 'train.checkpoint_every=10', 'train.backend=wasm',
  'train.d_model=16', 'train.n_heads=2', 'train.d_ff=16', 'train.n_layers=1',
  'estimate.num_chains=16', 'estimate.num_draws=500', 'estimate.batch_size=32', 'estimate.device=cpu',
].flatMap((s) => ['--set', s]);

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});
const url = `redis://127.0.0.1:${port}`;
const artifacts = mkdtempSync(join(tmpdir(), 'llc-bench-queue-'));
const children: ResultPromise[] = [];
const started = async (child: ResultPromise, ready: string) => {
  children.push(child);
  child.catch(() => {});
  let text = '';
  await new Promise<void>((resolve) => child.all!.on('data', (d: Buffer) => (text += d.toString()).includes(ready) && resolve()));
  return () => text;
};

try {
  await started(execa('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { all: true }), 'Ready to accept connections');
  const estimate = async (queue?: string) => {
    const r = await execa(process.execPath, [BIN, 'run', 'estimate', '--run', 'b', '--force', ...SETS, ...(queue ? ['--queue', queue] : [])], { all: true, cwd: ROOT, env: { PIPELINE_ARTIFACTS: artifacts } });
    const manifest = JSON.parse(readFileSync(join(artifacts, 'b', 'estimate', 'manifest.json'), 'utf8'));
    return { seconds: manifest.runtime.sampling_s as number, rate: manifest.runtime.chain_steps_per_s as number, shards: manifest.runtime.queue_shards as number | undefined, log: r.all };
  };
  await estimate(); // builds generate → export, and warms the disk cache
  const here = await estimate();
  const worker = () => started(execa(process.execPath, [BIN, 'worker', '--queue', url, '--device', 'cpu'], { all: true, cwd: ROOT }), 'listening on');
  const first = await worker();
  const one = await estimate(url);
  const inShards = [...first().matchAll(/done: \d+ chain-steps in ([\d.]+) s/g)].reduce((n, m) => n + Number(m[1]), 0);
  await worker();
  const two = await estimate(url);
  const line = (name: string, r: { seconds: number; rate: number }) => `  ${name.padEnd(22)} ${r.rate.toFixed(0).padStart(7)} chain-steps/s  (${r.seconds.toFixed(2)} s)`;
  process.stdout.write(`estimate, 4 checkpoints × 16 chains × 500 draws of a tiny model (d_model 16), cpu:\n`);
  process.stdout.write(`${line('in-process', here)}\n${line('queue, 1 worker', one)}\n${line('queue, 2 workers', two)}\n`);
  process.stdout.write(`  queue overhead per shard: ${(((one.seconds - inShards) * 1000) / one.shards!).toFixed(0)} ms (${one.shards} shards: init losses + one per onnxruntime session)\n`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  rmSync(artifacts, { recursive: true, force: true });
}
