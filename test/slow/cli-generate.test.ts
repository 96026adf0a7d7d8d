// End to end through the real CLI and stage processes: caching, reruns, errors, kills.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { StageContext } from '../../pipeline/lib/stage/context.ts';
import { readSavedConfig } from '../../pipeline/lib/stage/run-dir.ts';
import { ROOT, pipeline, tempDir } from '../helpers/cli.ts';

const gen = (dir: string, run: string, ...extra: string[]) => pipeline(['run', 'generate', '--run', run, ...extra], dir);
const file = (dir: string, run: string, name: string) => readFileSync(join(dir, run, 'generate', name));

test('generate runs once, then is skipped; same seed in two runs gives identical files', async (t) => {
  const dir = tempDir(t);
  const first = await gen(dir, 'a');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /generate: running/);
  const again = await gen(dir, 'a');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /generate: fresh, skipped/);
  assert.equal((await gen(dir, 'b')).code, 0);
  for (const f of ['train.safetensors', 'test.safetensors', 'summary.json']) assert.deepEqual(file(dir, 'a', f), file(dir, 'b', f));
  const manifest = JSON.parse(file(dir, 'a', 'manifest.json').toString());
  assert.equal(manifest.schema, 'llc-pipeline/manifest');
  assert.equal(manifest.config.generate.seed, 0);
  assert.match(manifest.outputs['train.safetensors'].sha256, /^[0-9a-f]{64}$/);
  const status = await pipeline(['status', '--run', 'a'], dir);
  assert.match(status.stdout, /generate\s+fresh/);
  const runs = await pipeline(['runs'], dir);
  assert.match(runs.stdout, /^a\s+created .*generate:fresh.*\nb\s+created/m);
});

test('changing generate.seed makes the stage stale, reruns it and changes the data', async (t) => {
  const dir = tempDir(t);
  assert.equal((await gen(dir, 'a')).code, 0);
  const before = file(dir, 'a', 'train.safetensors');
  const status = await pipeline(['status', '--run', 'a', '--set', 'generate.seed=1'], dir);
  assert.match(status.stdout, /generate\s+stale: config generate\.seed changed: 0 → 1/);
  const r = await gen(dir, 'a', '--set', 'generate.seed=1');
  assert.match(r.stderr, /generate: running \(config generate\.seed changed: 0 → 1\)/);
  assert.notDeepEqual(file(dir, 'a', 'train.safetensors'), before);
  assert.equal(readSavedConfig(join(dir, 'a')).generate.seed, 1);
  // the run keeps its config: a later plain rerun is fresh
  assert.match((await gen(dir, 'a')).stderr, /fresh, skipped/);
});

test('a bad --set exits non-zero naming the key, and writes nothing', async (t) => {
  const dir = tempDir(t);
  const r = await gen(dir, 'x', '--set', 'generate.seed=abc');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /generate\.seed = "abc"/);
  assert.deepEqual(readdirSync(dir), []);
  const unknown = await gen(dir, 'x', '--set', 'generate.sed=1');
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown key generate\.sed/);
  assert.deepEqual(readdirSync(dir), []);
  const stage = await pipeline(['run', 'genrate', '--run', 'x'], dir);
  assert.equal(stage.code, 2);
  assert.match(stage.stderr, /unknown stage "genrate"/);
});

test('a corrupted artifact is reported with its path, and readers refuse it', async (t) => {
  const dir = tempDir(t);
  assert.equal((await gen(dir, 'a')).code, 0);
  const path = join(dir, 'a', 'generate', 'train.safetensors');
  const bytes = readFileSync(path);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
  writeFileSync(path, bytes);
  const status = await pipeline(['status', '--run', 'a'], dir);
  assert.match(status.stdout, /generate\s+stale: output train\.safetensors was modified after the stage wrote it/);
  const ctx = new StageContext('generate', join(dir, 'a'), readSavedConfig(join(dir, 'a')), join(dir, 'work'));
  assert.throws(() => ctx.input('generate', 'train.safetensors'), (e: Error) => e.message.includes(path) && /sha256 .* does not match/.test(e.message));
  // a broken manifest is named too
  writeFileSync(join(dir, 'a', 'generate', 'manifest.json'), '{"schema": 1');
  const broken = await pipeline(['status', '--run', 'a'], dir);
  assert.match(broken.stdout, /generate\s+stale: manifest unreadable: .*manifest\.json: cannot read JSON/);
  // run repairs it
  const rerun = await gen(dir, 'a');
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match((await pipeline(['status', '--run', 'a'], dir)).stdout, /generate\s+fresh/);
});

test('a stage killed half-way leaves no manifest and is redone', async (t) => {
  const dir = tempDir(t);
  // A big dataset so the stage is still at work when it is killed.
  assert.equal((await gen(dir, 'k', '--set', 'generate.n_samples=400000')).code, 0);
  const runDir = join(dir, 'k');
  const child = execa(process.execPath, ['--import', 'tsx', join(ROOT, 'stages/generate/main.ts'), '--run-dir', runDir], { cwd: ROOT, reject: false });
  // the stage drops its old manifest and opens generate.partial/ before working
  while (!existsSync(join(runDir, 'generate.partial')) || existsSync(join(runDir, 'generate', 'manifest.json'))) {
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  const result = await child;
  assert.equal(result.signal, 'SIGKILL');
  assert.ok(!existsSync(join(runDir, 'generate', 'manifest.json')));
  const status = await pipeline(['status', '--run', 'k'], dir);
  assert.match(status.stdout, /generate\s+missing: interrupted/);
  // The killed stage held the run's lock; its process is gone, so the next run takes it over.
  assert.match(status.stdout, new RegExp(`^lock .*lock\\.json was left by pid ${child.pid} on .*, which is gone`, 'm'));
  const redo = await gen(dir, 'k');
  assert.equal(redo.code, 0, redo.stderr);
  assert.match(redo.stderr, new RegExp(`pipeline: taking over .*lock\\.json, left by stage generate run by itself \\(pid ${child.pid} on [^)]+\\), whose process is gone`));
  assert.match(redo.stderr, /generate: running \(interrupted/);
  assert.ok(!existsSync(join(runDir, 'lock.json')));
  assert.ok(existsSync(join(runDir, 'generate', 'manifest.json')));
  assert.ok(!existsSync(join(runDir, 'generate.partial')));
});

test('every command answers --help with exit 0', async (t) => {
  const dir = tempDir(t);
  for (const cmd of [[], ['run'], ['status'], ['runs']]) {
    const r = await pipeline([...cmd, '--help'], dir);
    assert.equal(r.code, 0, cmd.join(' '));
    assert.match(r.stdout, /pipeline/);
  }
  const stage = await execa(process.execPath, ['--import', 'tsx', join(ROOT, 'stages/generate/main.ts'), '--help'], { cwd: ROOT, reject: false });
  assert.equal(stage.exitCode, 0);
  assert.match(String(stage.stdout), /usage: tsx stages\/generate\/main\.ts --run-dir/);
});
