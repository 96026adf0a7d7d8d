// `pipeline check` through the real CLI: a clean run passes; each kind of damage fails
// with a line naming the damaged file, and all of them are listed, not just the first.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigSchema } from '../../schemas/config.ts';
import { ESTIMATES_SCHEMA_ID, ESTIMATES_SCHEMA_VERSION, type Estimates } from '../../schemas/estimate.ts';
import { MODEL_PATTERN } from '../../schemas/training.ts';
import type { EstimateHealth } from '../../schemas/health.ts';
import type { Manifest } from '../../schemas/manifest.ts';
import { estimateHealth, healthFile } from '../../pipeline/lib/health/estimate-health.ts';
import { STAGES } from '../../pipeline/lib/stage/registry.ts';
import { sha256 } from '../../pipeline/lib/util/hash.ts';
import { decodeSafetensors, encodeSafetensors } from '../../pipeline/lib/util/safetensors.ts';
import { pipeline, tempDir } from '../helpers/cli.ts';

const TINY = ['generate.n_samples=300', 'generate.train_frac=0.3', 'train.seeds=[0]', 'train.log_checkpoints=0', 'train.steps=20', 'train.checkpoint_every=10', 'train.eval_every=10', 'train.batch_size=32'].flatMap((s) => ['--set', s]);
const CKPT = 'train/seed-0/checkpoints/step-000010.safetensors';

let clean: string;

before(async () => {
  clean = mkdtempSync(join(tmpdir(), 'llc-check-'));
  const r = await pipeline(['run', 'generate', 'train', 'export', '--run', 'a', ...TINY], clean);
  assert.equal(r.code, 0, r.stderr);
});

after(() => rmSync(clean, { recursive: true, force: true }));

/** A copy of the clean run in its own artifacts root, to damage. */
function copy(t: { after(fn: () => void): void }): { root: string; run: string } {
  const root = tempDir(t, 'llc-check-copy-');
  cpSync(join(clean, 'a'), join(root, 'a'), { recursive: true });
  return { root, run: join(root, 'a') };
}

const check = (root: string, ...args: string[]) => pipeline(['check', '--run', 'a', ...args], root);

function editManifest(path: string, edit: (m: Manifest) => void): void {
  const value = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  edit(value);
  writeFileSync(path, JSON.stringify(value, null, 2));
}

test('a clean run passes, with stages not run as warnings only', async (t) => {
  const { root } = copy(t);
  const r = await check(root);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /^error:/m);
  assert.match(r.stdout, /^run a: ok, \d+ warnings?; \d+ files in 3 stages checked \(generate, train, export\)$/m);
  const json = JSON.parse((await check(root, '--json')).stdout);
  assert.equal(json.ok, true);
  assert.deepEqual(json.failures, []);
  assert.deepEqual(json.stages.slice(0, 3).map((s: { state: string }) => s.state), ['checked', 'checked', 'checked']);
});

test('one flipped byte in a checkpoint fails, naming the checkpoint', async (t) => {
  const { root, run } = copy(t);
  const bytes = readFileSync(join(run, CKPT));
  bytes[bytes.length - 5]! ^= 0x10;
  writeFileSync(join(run, CKPT), bytes);
  const r = await check(root);
  assert.equal(r.code, 1);
  assert.match(r.stdout, new RegExp(`^error: ${CKPT}: sha256 [0-9a-f]{12}… differs from [0-9a-f]{12}… recorded in train/manifest.json`, 'm'));
  assert.match(r.stdout, /^run a: FAILED, \d+ failures?/m);
  const json = JSON.parse((await check(root, '--json')).stdout);
  assert.equal(json.ok, false);
  assert.ok(json.failures.some((f: { file: string }) => f.file === CKPT));
});

test('a deleted output and a wrong input hash both fail, each naming its file', async (t) => {
  const { root, run } = copy(t);
  rmSync(join(run, 'export/seed-0/models/step-000020.onnx'));
  editManifest(join(run, 'export/manifest.json'), (m) => {
    m.inputs[CKPT]!.sha256 = '0'.repeat(64);
  });
  const r = await check(root);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^error: export\/seed-0\/models\/step-000020\.onnx: missing, though export\/manifest\.json lists it$/m);
  assert.match(r.stdout, new RegExp(`^error: export/manifest.json: input ${CKPT} was read with sha256 000000000000…, but train/manifest.json records`, 'm'));
});

test('a NaN in a checkpoint, with its hash updated in the manifest, fails on the NaN', async (t) => {
  const { root, run } = copy(t);
  const path = join(run, 'train/seed-0/checkpoints/step-000020.safetensors');
  const { tensors, metadata } = decodeSafetensors(readFileSync(path));
  (tensors['fc.weight']!.data as Float32Array)[3] = Number.NaN;
  const bytes = encodeSafetensors(tensors, metadata);
  writeFileSync(path, bytes);
  editManifest(join(run, 'train/manifest.json'), (m) => {
    m.outputs['seed-0/checkpoints/step-000020.safetensors'] = { sha256: sha256(bytes), bytes: bytes.length };
  });
  const r = await check(root);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^error: train\/seed-0\/checkpoints\/step-000020\.safetensors: tensor "fc\.weight" holds NaN at \[0, 3\]$/m);
  assert.doesNotMatch(r.stdout, /^error: train\/seed-0\/checkpoints\/step-000020\.safetensors: sha256/m);
});

test('dataset values out of range, a missing upstream manifest and leftovers are all reported', async (t) => {
  const { root, run } = copy(t);
  const path = join(run, 'generate/train.safetensors');
  const { tensors } = decodeSafetensors(readFileSync(path));
  (tensors.tokens!.data as BigInt64Array)[7] = 26n;
  (tensors.targets!.data as Float32Array)[0] = 1.5;
  writeFileSync(path, encodeSafetensors(tensors));
  rmSync(join(run, 'train/manifest.json'));
  mkdirSync(join(run, 'export.partial'));
  const r = await check(root);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^error: generate\/train\.safetensors: tokens\[0, 7\] = 26 is outside the vocabulary 0\.\.25$/m);
  assert.match(r.stdout, /^error: generate\/train\.safetensors: targets\[0, 0\] = 1\.5 is not a fraction in \[0, 1\]$/m);
  assert.match(r.stdout, /^error: train\/: did not finish \(its folder has no manifest\.json\), yet export depends on it$/m);
  assert.match(r.stdout, /^warning: export\.partial\/: an unfinished attempt/m);
});

/** Writes a finished estimate stage by hand, as the stage would (manifest included), with
 * 2 chains × 8 draws per model; `damage` may change its files first. */
function writeEstimate(run: string, damage: (files: Map<string, Uint8Array>, estimates: Estimates) => void = () => {}): void {
  const settings = { ...ConfigSchema.parse({}).estimate, lr: 1e-3, nbeta: 2, num_chains: 2, num_draws: 8, ordering_checkpoints: 0 };
  const exported = JSON.parse(readFileSync(join(run, 'export/manifest.json'), 'utf8')) as Manifest;
  const models = Object.keys(exported.outputs).filter((f) => MODEL_PATTERN.test(f));
  const files = new Map<string, Uint8Array>();
  const health: EstimateHealth[] = [];
  const estimates: Estimates = { schema: ESTIMATES_SCHEMA_ID, schema_version: ESTIMATES_SCHEMA_VERSION, settings, sampler_point: { lr: 1e-3, nbeta: 2, source: 'estimate.lr, estimate.nbeta' }, device: 'cpu', checkpoints: [], ordering: null };
  for (const model of models) {
    const step = Number(/step-(\d+)/.exec(model)![1]);
    const trace = `seed-0/traces/step-${String(step).padStart(6, '0')}.safetensors`;
    const loss = Float32Array.from({ length: 16 }, (_, i) => 0.1 + 0.001 * Math.sin(i));
    const llc = loss.map((l) => 2 * (l - 0.1));
    const perDraw = Float32Array.from({ length: 8 }, (_, d) => (llc[d]! + llc[8 + d]!) / 2);
    files.set(trace, encodeSafetensors({ loss: { dtype: 'F32', shape: [2, 8], data: loss }, llc: { dtype: 'F32', shape: [2, 8], data: llc }, llc_mean: { dtype: 'F32', shape: [8], data: perDraw }, llc_std: { dtype: 'F32', shape: [8], data: perDraw } }));
    estimates.checkpoints.push({ seed: 0, step, model, llc_mean: 0.001, llc_std: 0.0001, llc_per_chain: [0.001, 0.001], init_loss: 0.1, nbeta: 2, diverged: [], trace });
    const weights = decodeSafetensors(readFileSync(join(run, `train/seed-0/checkpoints/step-${String(step).padStart(6, '0')}.safetensors`))).tensors;
    const w0 = Float32Array.from(Object.values(weights).flatMap((t) => Array.from(t.data as Float32Array)));
    health.push(estimateHealth({ label: `seed 0, checkpoint step ${step}`, chains: 2, draws: 8, loss, llc, diverged: [], llcMean: 0.001, lr: settings.lr, noiseLevel: settings.noise_level, weights: w0 }));
  }
  damage(files, estimates);
  files.set('estimates.json', Buffer.from(JSON.stringify(estimates)));
  files.set('health.json', Buffer.from(JSON.stringify(healthFile(health))));
  const entry = (bytes: Uint8Array) => ({ sha256: sha256(bytes), bytes: bytes.length });
  const manifest: Manifest = {
    ...exported,
    stage: 'estimate',
    output_schema: STAGES.estimate.outputSchema,
    config: { estimate: settings },
    inputs: Object.fromEntries(models.map((m) => [`export/${m}`, exported.outputs[m]!])),
    outputs: Object.fromEntries([...files].map(([f, b]) => [f, entry(b)])),
  };
  for (const [f, b] of files) {
    mkdirSync(dirname(join(run, 'estimate', f)), { recursive: true });
    writeFileSync(join(run, 'estimate', f), b);
  }
  writeFileSync(join(run, 'estimate/manifest.json'), JSON.stringify(manifest));
}

/** Sets chain 1, draw 5 of a trace's loss to NaN. */
function nanInChain1(files: Map<string, Uint8Array>, trace: string): void {
  const { tensors } = decodeSafetensors(files.get(trace)!);
  (tensors.loss!.data as Float32Array)[8 + 5] = Number.NaN;
  files.set(trace, encodeSafetensors(tensors));
}

test('estimate traces: NaN only in a chain marked diverged, one estimate per model', async (t) => {
  const trace = 'seed-0/traces/step-000010.safetensors';
  const { root: good, run: goodRun } = copy(t);
  writeEstimate(goodRun, (files, est) => {
    nanInChain1(files, trace);
    est.checkpoints[0]!.diverged.push({ chain: 1, step: 5, draw: 5 });
  });
  const ok = await check(good);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /in 4 stages checked \(generate, train, export, estimate\)/);

  const { root: bad, run: badRun } = copy(t);
  writeEstimate(badRun, (files, est) => {
    nanInChain1(files, trace);
    est.checkpoints.pop();
  });
  const r = await check(bad);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^error: estimate\/seed-0\/traces\/step-000010\.safetensors: tensor "loss" holds NaN at \[1, 5\], but chain 1 is not marked diverged$/m);
  assert.match(r.stdout, /^error: estimate\/estimates\.json: has no estimate for export\/seed-0\/models\/step-000020\.onnx$/m);
  assert.match(r.stdout, /^error: estimate\/health\.json: holds 2 estimates, the stage made 1$/m);
});
