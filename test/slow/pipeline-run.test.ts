// `pipeline run` as make and `dvc repro` behave, through the real CLI: a target builds the
// stages it needs and --single does not; code is an input (in a copy of the repository,
// whose sources the test edits); one `pipeline run` at a time works in a run.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { ROOT, tempDir, type CliResult } from '../helpers/cli.ts';
import { repoCopy } from '../helpers/repo-copy.ts';
import { TINY } from '../helpers/report-run.ts';

/** `pipeline` of the repository at `repo`. */
function cli(repo: string, artifacts: string, args: string[]) {
  return execa(process.execPath, [join(repo, 'bin/pipeline.mjs'), ...args], { cwd: repo, reject: false, env: { PIPELINE_ARTIFACTS: artifacts } });
}

async function run(repo: string, artifacts: string, ...args: string[]): Promise<CliResult> {
  const r = await cli(repo, artifacts, args);
  return { code: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The lines where `pipeline run` says what it does with each stage. */
const stageLines = (stderr: string) => stderr.split('\n').filter((l) => /^\w+: (running \(|fresh, skipped)/.test(l));

const editManifest = (path: string, edit: (m: Record<string, any>) => Record<string, unknown>) => writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')))));

test('a target builds the missing and stale stages it needs, --single refuses them, and changed code or tools make a stage stale, named', { timeout: 300_000 }, async (t) => {
  const repo = repoCopy(t);
  const art = tempDir(t, 'llc-targets-');
  const pipeline = (...args: string[]) => run(repo, art, ...args);

  const single = await pipeline('run', 'export', '--single', '--run', 'c', ...TINY);
  assert.equal(single.code, 2);
  assert.match(single.stderr, /--single: stage export reads the artifacts of generate, which is missing in run c \(not run yet\); without --single, pipeline run export builds generate first/);
  assert.deepEqual(readdirSync(art), [], '--single wrote something before refusing');

  const built = await pipeline('run', 'export', '--run', 'c', ...TINY);
  assert.equal(built.code, 0, built.stderr);
  assert.deepEqual(stageLines(built.stderr), ['generate: running (needed by export: not run yet)', 'train: running (needed by export: not run yet)', 'export: running (not run yet)']);
  const estimated = await pipeline('run', 'estimate', '--single', '--run', 'c');
  assert.equal(estimated.code, 0, estimated.stderr);
  assert.deepEqual(stageLines(estimated.stderr), ['estimate: running (not run yet)']);
  const manifest = JSON.parse(readFileSync(join(art, 'c', 'estimate', 'manifest.json'), 'utf8'));
  assert.match(manifest.code.files['pipeline/lib/sgld/update.ts'], /^[0-9a-f]{64}$/);
  assert.match(manifest.code.files['package-lock.json'], /^[0-9a-f]{64}$/);
  assert.equal(manifest.code.node, process.version);

  // A sampler source file changes: estimate, which imports it, is stale and names it.
  appendFileSync(join(repo, 'pipeline/lib/sgld/update.ts'), '\n// edited\n');
  const status = await pipeline('status', '--run', 'c');
  assert.match(status.stdout, /^ {2}estimate +stale: code changed \(pipeline\/lib\/sgld\/update\.ts\)$/m);
  for (const s of ['generate', 'train', 'export']) assert.match(status.stdout, new RegExp(`^  ${s} +fresh`, 'm'));

  // So does the export's own code: --single refuses to estimate over it; a plain run rebuilds it first.
  appendFileSync(join(repo, 'stages/export/main.ts'), '\n// edited\n');
  const refused = await pipeline('run', 'estimate', '--single', '--run', 'c');
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--single: stage estimate reads the artifacts of export, which is stale in run c \(code changed \(stages\/export\/main\.ts\)\)/);
  const rebuilt = await pipeline('run', 'estimate', '--run', 'c');
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  const lines = stageLines(rebuilt.stderr);
  assert.deepEqual(lines.slice(0, 3), ['generate: fresh, skipped', 'train: fresh, skipped', 'export: running (needed by estimate: code changed (stages/export/main.ts))']);
  assert.match(lines[3]!, /^estimate: running \(code changed \(pipeline\/lib\/sgld\/update\.ts\)/);
  assert.equal(lines.length, 4);

  // Other tools, and manifests written before code was tracked.
  editManifest(join(art, 'c', 'train', 'manifest.json'), (m) => ({ ...m, code: { ...m.code, node: 'v0.0.0', packages: { ...m.code.packages, 'onnxruntime-node': '0.0.0' } } }));
  editManifest(join(art, 'c', 'generate', 'manifest.json'), ({ code: _, ...m }) => ({ ...m, schema_version: 1 }));
  const tools = await pipeline('status', '--run', 'c');
  const ort = JSON.parse(readFileSync(join(ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version;
  assert.match(tools.stdout, /^ {2}generate +stale: made before code was tracked \(manifest schema 1\)$/m);
  assert.ok(tools.stdout.includes(`  train        stale: tool version changed (node v0.0.0 → ${process.version}, onnxruntime-node 0.0.0 → ${ort}); upstream generate is stale\n`), tools.stdout);
});

test('one pipeline run per run: of two started together one refuses, naming the other; status and runs show the stage at work; Ctrl-C frees the run', { timeout: 300_000 }, async (t) => {
  const art = tempDir(t, 'llc-lock-');
  // Long enough never to finish: the test interrupts it.
  const long = [...TINY, '--set', 'train.steps=1000000', '--set', 'train.eval_every=100000', '--set', 'train.checkpoint_every=100000'];
  const both = [0, 1].map(() => cli(ROOT, art, ['run', 'train', '--run', 'L', ...long]));
  const first = await Promise.race(both.map((child, i) => child.then((result) => ({ i, result }))));
  const winner = both[1 - first.i]!;
  assert.equal(first.result.exitCode, 1, String(first.result.stderr));
  assert.match(String(first.result.stderr), new RegExp(`run .*L is busy: pipeline run train .*\\(pid ${winner.pid} on ${hostname()}, since [^)]+\\) holds .*lock\\.json; wait for it to finish`));

  const runDir = join(art, 'L');
  while (!existsSync(join(runDir, 'progress.json'))) await new Promise((r) => setTimeout(r, 50));
  const status = await run(ROOT, art, 'status', '--run', 'L');
  assert.match(status.stdout, new RegExp(`^running: train \\d+ % \\(pid ${winner.pid} on ${hostname()}, since \\S+\\)$`, 'm'));
  assert.match(status.stdout, /^ {2}generate +fresh/m);
  assert.match(status.stdout, new RegExp(`^  train +running: \\d+ % \\(pid ${winner.pid} `, 'm'));
  const runs = await run(ROOT, art, 'runs');
  assert.match(runs.stdout, new RegExp(`^L .* train:running .* running: train \\d+ % \\(pid ${winner.pid} `, 'm'));

  const stagePid = JSON.parse(readFileSync(join(runDir, 'lock.json'), 'utf8')).stage_pid as number;
  winner.kill('SIGINT');
  await winner;
  assert.ok(!existsSync(join(runDir, 'lock.json')), 'the lock outlived an interrupted run');
  assert.ok(!existsSync(join(runDir, 'progress.json')));
  for (let i = 0; i < 100 && alive(stagePid); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!alive(stagePid), 'the train stage outlived its pipeline run');
  assert.match((await run(ROOT, art, 'status', '--run', 'L')).stdout, /^ {2}train +missing: interrupted/m);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
