// The estimate stage on a run built by hand from the fixture: generate's training split and
// export's model.json + seed-0/models/step-NNNNNN.onnx (the fixture weights at two "steps");
// with estimate.lr = sweep, a sweep.json written by hand as the sweep stage would.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigSchema } from '../../schemas/config.ts';
import { Estimates } from '../../schemas/estimate.ts';
import { MANIFEST_SCHEMA_ID, MANIFEST_SCHEMA_VERSION, type Manifest } from '../../schemas/manifest.ts';
import { sha256 } from '../../pipeline/lib/util/hash.ts';
import { decodeSafetensors, encodeSafetensors } from '../../pipeline/lib/util/safetensors.ts';
import { StageContext } from '../../pipeline/lib/stage/context.ts';
import { SEED_MODEL_CONFIG, seedParameters } from '../../pipeline/lib/model/config.ts';
import { buildSeedModel } from '../../pipeline/lib/model/seed-model.ts';
import { readStateDict } from '../../pipeline/lib/model/state-dict.ts';
import { encodeModel } from '../../pipeline/lib/onnx/io.ts';
import { estimate } from '../../stages/estimate/estimates.ts';
import { tempDir } from '../helpers/cli.ts';
import { FIXTURE } from '../helpers/fixture.ts';


/** Writes a finished stage folder: its files and a manifest listing them. */
function writeStage(runDir: string, stage: string, files: Record<string, Uint8Array | string>): void {
  const outputs: Manifest['outputs'] = {};
  for (const [file, content] of Object.entries(files)) {
    const path = join(runDir, stage, file);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    outputs[file] = { sha256: sha256(bytes), bytes: bytes.length };
  }
  const manifest: Manifest = {
    schema: MANIFEST_SCHEMA_ID,
    schema_version: MANIFEST_SCHEMA_VERSION,
    stage,
    output_schema: { id: 'test', version: 1 },
    run: 'test',
    config: {},
    inputs: {},
    outputs,
    code: { files: {}, packages: {}, node: process.version },
    tools: {},
    runtime: {},
    host: { hostname: 'h', platform: 'linux', arch: 'x64', cpus: 1, cpu_model: 'c' },
    started_at: '',
    ended_at: '',
    duration_s: 0,
    results: {},
  };
  writeFileSync(join(runDir, stage, 'manifest.json'), JSON.stringify(manifest));
}

/** A run with generate's training split and export's models: the fixture at steps 500 (halved) and 5500. */
function fixtureRun(t: { after(fn: () => void): void }): string {
  const runDir = tempDir(t, 'llc-estimate-');
  const { tensors } = decodeSafetensors(readFileSync(`${FIXTURE}/train.safetensors`));
  writeStage(runDir, 'generate', { 'train.safetensors': encodeSafetensors({ tokens: tensors.x!, targets: tensors.y! }) });
  const cfg = SEED_MODEL_CONFIG;
  const { weights } = readStateDict(`${FIXTURE}/weights.safetensors`, seedParameters(cfg));
  const halved = Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, v.map((w) => w / 2)]));
  writeStage(runDir, 'export', {
    'model.json': JSON.stringify({ schema: 'llc-pipeline/model-config', schema_version: 1, ...cfg }),
    'seed-0/models/step-000500.onnx': encodeModel(buildSeedModel(cfg, { training: false, weights: halved })),
    'seed-0/models/step-005500.onnx': encodeModel(buildSeedModel(cfg, { training: false, weights })),
  });
  return runDir;
}

const SETTINGS = { lr: 1e-3, localization: 5, batch_size: 256, num_chains: 3, num_draws: 6, num_burnin_steps: 2, num_steps_bw_draws: 2, nbeta: 'auto', device: 'cpu' };

/** Runs the estimate stage's work into a fresh folder of the run; returns the folder and context. */
async function runEstimate(runDir: string, settings: Record<string, unknown>, folder = 'estimate.partial'): Promise<{ work: string; ctx: StageContext }> {
  const work = join(runDir, folder);
  mkdirSync(work);
  const ctx = new StageContext('estimate', runDir, ConfigSchema.parse({ estimate: settings }), work);
  await estimate(ctx);
  return { work, ctx };
}

test('estimate: λ̂ per exported checkpoint, traces, divergence-free on the fixture', { timeout: 120_000 }, async (t) => {
  const runDir = fixtureRun(t);
  const { work, ctx } = await runEstimate(runDir, SETTINGS);

  const result = Estimates.parse(JSON.parse(readFileSync(join(work, 'estimates.json'), 'utf8')));
  assert.equal(result.device, 'cpu');
  assert.deepEqual(result.checkpoints.map((c) => c.step), [500, 5500]);
  for (const c of result.checkpoints) {
    assert.equal(c.llc_per_chain.length, 3);
    assert.deepEqual(c.diverged, []);
    assert.ok(Math.abs(c.nbeta - 256 / Math.log(256)) < 1e-9);
    assert.ok(c.llc_mean !== null && Number.isFinite(c.llc_mean));
    assert.ok(c.llc_std !== null && c.llc_std > 0);
    const trace = decodeSafetensors(readFileSync(join(work, c.trace))).tensors;
    assert.deepEqual(trace.loss!.shape, [3, 6]);
    assert.deepEqual(trace.llc_std!.shape, [6]);
  }
  assert.ok(Math.abs(result.checkpoints[1]!.init_loss - 0.0359) < 0.003, `init_loss at step 5500: ${result.checkpoints[1]!.init_loss}`);
  assert.equal(ctx.inputs['export/seed-0/models/step-005500.onnx']?.sha256, sha256(readFileSync(join(runDir, 'export/seed-0/models/step-005500.onnx'))));
  assert.deepEqual(result.sampler_point, { lr: 1e-3, nbeta: 256 / Math.log(256), source: 'ε from estimate.lr; nβ = m/ln m (estimate.nbeta = auto)' });
  assert.equal(result.ordering, null);
  assert.ok(!Object.keys(ctx.inputs).some((k) => k.startsWith('sweep/')), 'read the sweep without needing it');
  assert.equal(ctx.runtime.device, 'cpu');
  assert.ok((ctx.runtime.chain_steps_per_s as number) > 0);
});

test('estimate.restrict: λ̂ per group beside the whole model\'s, which the groups leave unchanged', { timeout: 120_000 }, async (t) => {
  const runDir = fixtureRun(t);
  const restrict = { attn0: ['layers.0.self_attn.*'], head: ['fc.weight', 'fc.bias'] };
  const { work } = await runEstimate(runDir, { ...SETTINGS, restrict });
  const { work: plainWork } = await runEstimate(runDir, SETTINGS, 'plain.partial');
  const withGroups = Estimates.parse(JSON.parse(readFileSync(join(work, 'estimates.json'), 'utf8')));
  const plain = Estimates.parse(JSON.parse(readFileSync(join(plainWork, 'estimates.json'), 'utf8')));
  // A chain's numbers do not depend on the chains beside it.
  assert.deepEqual(withGroups.checkpoints, plain.checkpoints);
  assert.deepEqual(plain.restricted, []);
  const groups = withGroups.restricted!;
  assert.deepEqual(groups.map((g) => [g.group, g.params, g.weight_count]), [
    ['attn0', ['layers.0.self_attn.in_proj_weight', 'layers.0.self_attn.in_proj_bias', 'layers.0.self_attn.out_proj.weight', 'layers.0.self_attn.out_proj.bias'], 192 * 64 + 192 + 64 * 64 + 64],
    ['head', ['fc.weight', 'fc.bias'], 65],
  ]);
  for (const g of groups) {
    assert.deepEqual(g.checkpoints.map((c) => c.step), [500, 5500]);
    g.checkpoints.forEach((c, i) => {
      assert.equal(c.trace, `seed-0/traces/step-${String(c.step).padStart(6, '0')}-${g.group}.safetensors`);
      assert.ok(c.llc_mean !== null && Number.isFinite(c.llc_mean));
      // The same loss at w₀, measured on the group's own minibatches.
      assert.ok(Math.abs(c.init_loss / withGroups.checkpoints[i]!.init_loss - 1) < 0.1, `init_loss ${c.init_loss} vs ${withGroups.checkpoints[i]!.init_loss}`);
      assert.notEqual(c.llc_mean, withGroups.checkpoints[i]!.llc_mean);
      assert.deepEqual(decodeSafetensors(readFileSync(join(work, c.trace))).tensors.llc!.shape, [3, 6]);
    });
  }
  const health = JSON.parse(readFileSync(join(work, 'health.json'), 'utf8')) as { estimates: { label: string }[] };
  assert.deepEqual(health.estimates.map((e) => e.label).slice(2), ['seed 0, checkpoint step 500, group attn0', 'seed 0, checkpoint step 5500, group attn0', 'seed 0, checkpoint step 500, group head', 'seed 0, checkpoint step 5500, group head']);
  await assert.rejects(runEstimate(runDir, { ...SETTINGS, restrict: { typo: ['layer.0.*'] } }, 'bad.partial'), /estimate\.restrict\.typo: "layer\.0\.\*" matches no parameter/);
});

test('estimate.params / estimate.freeze choose the weights every chain samples', { timeout: 120_000 }, async (t) => {
  const runDir = fixtureRun(t);
  const { work } = await runEstimate(runDir, { ...SETTINGS, params: ['fc.*', 'layers.1.*'], freeze: ['layers.1.norm?.*'] });
  const result = Estimates.parse(JSON.parse(readFileSync(join(work, 'estimates.json'), 'utf8')));
  const layer1 = ['self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias', 'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias'].map((n) => `layers.1.${n}`);
  assert.deepEqual(result.sampled, { params: [...layer1, 'fc.weight', 'fc.bias'], weight_count: 192 * 64 + 192 + 64 * 64 + 64 + 48 * 64 + 48 + 64 * 48 + 64 + 65 });
  for (const c of result.checkpoints) assert.ok(c.llc_mean !== null && Number.isFinite(c.llc_mean));
  await assert.rejects(runEstimate(runDir, { ...SETTINGS, freeze: ['*'] }, 'none.partial'), /estimate\.params: no parameter is left to sample once estimate\.freeze applies/);
  await assert.rejects(runEstimate(runDir, { ...SETTINGS, freeze: ['nope.*'] }, 'typo.partial'), /estimate\.freeze: "nope\.\*" matches no parameter/);
});

/** A sweep.json as the sweep stage writes it: a 2 × 2 grid on the step-5500 checkpoint, its
 * recommended point (i, j) = (1, 0) or none, every other point usable unless listed. */
function writeSweep(runDir: string, recommended: boolean, unusable: string[] = []): void {
  const points = [0, 1].flatMap((i) =>
    [0, 1].map((j) => ({
      i,
      j,
      epsilon: [3e-4, 1e-3][i]!,
      nbeta: [20, 50][j]!,
      llc_mean: 1,
      llc_std: 0.1,
      llc_se: 0.05,
      llc_per_chain: [1, 1],
      llc_over_nbeta: 0.05,
      init_loss: 0.036,
      diverged: [],
      problems: unusable.includes(`${i},${j}`) ? ['split-R̂ 1.5 > 1.1'] : [],
      escaped: null,
      plateau: i === 1 ? true : null,
      trace: `traces/eps-${i}-nbeta-${j}.safetensors`,
    })),
  );
  const sweep = {
    schema: 'llc-pipeline/sweep',
    schema_version: 3,
    checkpoint_seed: 0,
    checkpoint_step: 5500,
    model: 'seed-0/models/step-005500.onnx',
    nbeta0: 46.2,
    epsilons: [3e-4, 1e-3],
    nbetas: [20, 50],
    localization: 5,
    trivial_loss: 0.06,
    num_chains: 2,
    num_draws: 10,
    device: 'cpu',
    points,
    recommendation: { rule: 'the rule', point: recommended ? { i: 1, j: 0 } : null, verdict: recommended ? 'Recommended: ε = 0.001, nβ = 20.' : 'No grid point qualifies: because.' },
  };
  writeStage(runDir, 'sweep', { 'sweep.json': JSON.stringify(sweep) });
}

test('estimate.lr / nbeta = sweep: the recommended ε and nβ, and the ordering check at its usable neighbours', { timeout: 120_000 }, async (t) => {
  const runDir = fixtureRun(t);
  writeSweep(runDir, true, ['1,1']);
  const { work, ctx } = await runEstimate(runDir, { ...SETTINGS, lr: 'sweep', nbeta: 'sweep', ordering_checkpoints: 2 });
  const result = Estimates.parse(JSON.parse(readFileSync(join(work, 'estimates.json'), 'utf8')));
  assert.equal(result.sampler_point.lr, 1e-3);
  assert.equal(result.sampler_point.nbeta, 20);
  assert.match(result.sampler_point.source, /^ε from the sweep's recommended point on the checkpoint of step 5500; nβ from the sweep's recommended point/);
  for (const c of result.checkpoints) assert.equal(c.nbeta, 20);
  assert.ok(ctx.inputs['sweep/sweep.json']);
  // The neighbours of (1, 0): (0, 0) one ε down; (1, 1) one nβ up is unusable.
  const o = result.ordering!;
  assert.deepEqual([o.seed, o.steps], [0, [500, 5500]]);
  assert.deepEqual(o.points.map((p) => [p.epsilon, p.nbeta]), [[3e-4, 20]]);
  assert.equal(o.points[0]!.llc.length, 2);
  // Two checkpoints give no rank correlation; the check says so rather than invent one.
  assert.equal(o.points[0]!.rho, null);
  const health = JSON.parse(readFileSync(join(work, 'health.json'), 'utf8')) as { estimates: { label: string }[] };
  assert.deepEqual(health.estimates.slice(2).map((e) => e.label), ['ordering check at ε = 0.000300, nβ = 20.0: seed 0, checkpoint step 500', 'ordering check at ε = 0.000300, nβ = 20.0: seed 0, checkpoint step 5500']);

  // A sweep that recommends nothing stops the estimate with the sweep's own verdict.
  writeSweep(runDir, false);
  await assert.rejects(runEstimate(runDir, { ...SETTINGS, lr: 'sweep' }, 'none.partial'), /estimate\.lr\/nbeta = sweep, but the sweep recommends no point: No grid point qualifies: because\./);
  // And one sampled at another γ says so.
  writeSweep(runDir, true);
  await assert.rejects(runEstimate(runDir, { ...SETTINGS, lr: 'sweep', localization: 50 }, 'gamma.partial'), /the sweep sampled at γ = 5 \(sweep\.localization\) and estimate\.localization = 50: set them equal/);
});
