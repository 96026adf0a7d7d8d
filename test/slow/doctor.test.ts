// `pipeline doctor` for real on this machine: the providers and backends it says load are the
// ones the stages' own functions find, and what does not load comes with a fix command.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { TrainConfig } from '../../schemas/config.ts';
import { cudaProviderPath, resolveDevice } from '../../pipeline/lib/sgld/device.ts';
import { chooseTrainRuntime } from '../../stages/train/open-engine.ts';
import { pipeline, tempDir } from '../helpers/cli.ts';

interface Check {
  name: string;
  loads: boolean;
  version?: string;
  why?: string;
  fixes: { command: string; note: string }[];
}
interface Report {
  nvidia_driver: { found: boolean; cuda?: string };
  onnxruntime: { version: string; providers: Check[] };
  tfjs: { version: string; backends: Check[] };
  choices: { stage: string; uses?: string; reason?: string; error?: string }[];
  subnormals: { normal_ms: number; subnormal_ms: number; penalised: boolean; flushed: boolean };
}

const byName = (checks: Check[], name: string): Check => checks.find((c) => c.name === name) ?? assert.fail(`no ${name} in ${JSON.stringify(checks)}`);

test('pipeline doctor --json: the CPU provider loads, CUDA as the stages find it, each failure with a fix', { timeout: 120_000 }, async (t) => {
  const r = await pipeline(['doctor', '--json'], tempDir(t));
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  assert.equal(report.onnxruntime.version, '1.29.0');
  assert.deepEqual(byName(report.onnxruntime.providers, 'cpu'), { name: 'cpu', loads: true, fixes: [] });

  const device = await resolveDevice('auto');
  const cuda = byName(report.onnxruntime.providers, 'cuda');
  assert.equal(cuda.loads, device.device === 'cuda');
  if (!existsSync(cudaProviderPath())) {
    assert.ok(cuda.why?.startsWith(device.reason.replace(/^auto: /, '')), `${cuda.why} vs ${device.reason}`);
    assert.ok(cuda.fixes.some((f) => f.command === 'npm run cuda12'), JSON.stringify(cuda.fixes));
  }

  for (const name of ['wasm', 'cpu']) assert.deepEqual(byName(report.tfjs.backends, name), { name, loads: true, version: report.tfjs.version, fixes: [] });
  for (const name of ['tensorflow-gpu', 'tensorflow']) {
    const b = byName(report.tfjs.backends, name);
    if (!b.loads) assert.match(b.fixes[0]?.command ?? '', /^npm (ci|rebuild @tensorflow\/tfjs-node(-gpu)?)$/, `${name}: ${JSON.stringify(b)}`);
  }

  // The same choice the train and sampling stages make, with the same reason.
  const train = await chooseTrainRuntime(TrainConfig.parse({}));
  const uses = train.engine === 'tfjs' ? `tfjs on ${train.backend.name}` : `onnxruntime on ${train.device}`;
  assert.deepEqual(report.choices[0], { stage: 'train', uses, reason: train.reason });
  assert.deepEqual(report.choices[1], { stage: 'estimate, sweep, calibration', uses: `onnxruntime on ${device.device}`, reason: device.reason });
  assert.equal(report.choices[2]?.stage, 'export');
  assert.match(report.choices[2]?.uses ?? '', /^tfjs on (tensorflow-gpu|tensorflow|wasm|cpu)$/);

  // The subnormal probe: timed with them kept (in its child), flushed here.
  const { normal_ms, subnormal_ms, penalised, flushed } = report.subnormals;
  assert.ok(normal_ms > 0 && subnormal_ms > 0, JSON.stringify(report.subnormals));
  assert.equal(penalised, subnormal_ms > 3 * normal_ms);
  assert.equal(flushed, true);
});

test('pipeline doctor prints the same as text; --help explains it; a bad flag is a usage error', { timeout: 120_000 }, async (t) => {
  const artifacts = tempDir(t);
  const r = await pipeline(['doctor'], artifacts);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^onnxruntime-node 1\.29\.0 execution providers\n {2}cpu {13}loads\n {2}cuda {12}/m);
  assert.match(r.stdout, /^tfjs 4\.22\.0 backends$/m);
  assert.match(r.stdout, /^ {2}wasm {12}loads \(4\.22\.0\)$/m);
  assert.match(r.stdout, /^ {2}train {25}(onnxruntime on (cpu|cuda)|tfjs on \S+) — /m);
  if (!existsSync(cudaProviderPath())) assert.match(r.stdout, /^ {18}fix: npm run cuda12 +# for CUDA 12: /m);
  assert.match(r.stdout, /^subnormal floats: this CPU (does not penalise subnormal floats|penalises subnormal floats \(\d+×\)): a 256×256 MatMul takes [\d.]+ ms on normal inputs, [\d.]+ ms on subnormal ones; onnxruntime sessions here flush them to zero$/m);
  assert.equal(r.stderr, '', 'onnxruntime logs nothing of its own');

  const help = await pipeline(['doctor', '--help'], artifacts);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^pipeline doctor \[--json\]/);
  const bad = await pipeline(['doctor', '--gpu'], artifacts);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /pipeline doctor: Unknown option '--gpu'/);
});

test('pipeline doctor offers only the CUDA 12 provider when the driver runs CUDA 12', { timeout: 120_000 }, async (t) => {
  if (existsSync(cudaProviderPath())) return t.skip('a CUDA provider is installed here; this case is about installing one');
  // A stand-in nvidia-smi that prints what a CUDA 12.4 driver's prints.
  const bin = tempDir(t);
  writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\necho "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4 |"\n');
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  const r = await pipeline(['doctor', '--json'], tempDir(t), { PATH: `${bin}${delimiter}${process.env.PATH}` });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  assert.deepEqual(report.nvidia_driver, { found: true, version: '550.54.15', cuda: '12.4' });
  const cuda = byName(report.onnxruntime.providers, 'cuda');
  assert.equal(cuda.why, 'no CUDA execution provider is installed next to libonnxruntime');
  assert.deepEqual(cuda.fixes.map((f) => f.command), ['npm run cuda12']);
});
