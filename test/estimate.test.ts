// The estimate stage on a run built by hand from the fixture: generate's training split and
// export's model.json + models/step-NNNNNN.onnx (the fixture weights at two "steps").
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigSchema } from '../schemas/config.ts';
import { Estimates } from '../schemas/estimate.ts';
import { MANIFEST_SCHEMA_ID, MANIFEST_SCHEMA_VERSION, type Manifest } from '../schemas/manifest.ts';
import { sha256 } from '../stages/lib/hash.ts';
import { decodeSafetensors, encodeSafetensors } from '../stages/lib/safetensors.ts';
import { StageContext } from '../stages/lib/stage.ts';
import { SEED_MODEL_CONFIG, seedParameters } from '../stages/model/config.ts';
import { buildSeedModel } from '../stages/model/seed-model.ts';
import { readStateDict } from '../stages/model/state-dict.ts';
import { encodeModel } from '../stages/onnx/io.ts';
import { estimate } from '../stages/estimate/run.ts';
import { tempDir } from './helpers/cli.ts';
import { FIXTURE } from './helpers/fixture.ts';


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

test('estimate: λ̂ per exported checkpoint, traces, divergence-free on the fixture', { timeout: 120_000 }, async (t) => {
  const runDir = tempDir(t, 'llc-estimate-');
  const { tensors } = decodeSafetensors(readFileSync(`${FIXTURE}/train.safetensors`));
  writeStage(runDir, 'generate', { 'train.safetensors': encodeSafetensors({ tokens: tensors.x!, targets: tensors.y! }) });
  const cfg = SEED_MODEL_CONFIG;
  const { weights } = readStateDict(`${FIXTURE}/weights.safetensors`, seedParameters(cfg));
  const halved = Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, v.map((w) => w / 2)]));
  writeStage(runDir, 'export', {
    'model.json': JSON.stringify({ schema: 'llc-pipeline/model-config', schema_version: 1, ...cfg }),
    'models/step-000500.onnx': encodeModel(buildSeedModel(cfg, { training: false, weights: halved })),
    'models/step-005500.onnx': encodeModel(buildSeedModel(cfg, { training: false, weights })),
  });
  const config = ConfigSchema.parse({ estimate: { num_chains: 3, num_draws: 6, num_burnin_steps: 2, num_steps_bw_draws: 2, nbeta: 'auto', device: 'cpu' } });
  const work = join(runDir, 'estimate.partial');
  mkdirSync(work);
  const ctx = new StageContext('estimate', runDir, config, work);
  await estimate(ctx);

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
  assert.equal(ctx.inputs['export/models/step-005500.onnx']?.sha256, sha256(readFileSync(join(runDir, 'export/models/step-005500.onnx'))));
  assert.equal(ctx.runtime.device, 'cpu');
  assert.ok((ctx.runtime.chain_steps_per_s as number) > 0);
});
