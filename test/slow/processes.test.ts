// Sampling in local child processes (pipeline/lib/queue/processes.ts): the same bits as
// in-process sampling whatever the number of processes, a failing shard fails the whole call
// with its reason, leaving no process behind; `pipeline run --processes` through the CLI.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SEED_MODEL_CONFIG } from '../../pipeline/lib/model/config.ts';
import { buildSeedModel } from '../../pipeline/lib/model/seed-model.ts';
import { readStateDict } from '../../pipeline/lib/model/state-dict.ts';
import { DataType } from '../../pipeline/lib/onnx/ir.ts';
import { runLlcOnProcesses } from '../../pipeline/lib/queue/processes.ts';
import { runLlc, type LlcSettings, type StartPoint } from '../../pipeline/lib/sgld/estimate-llc.ts';
import { flatParameters, seedSgldModel } from '../../pipeline/lib/sgld/sampled-model.ts';
import { SAMPLER_DEFAULTS, type Dataset } from '../../pipeline/lib/sgld/sessions.ts';
import { decodeSafetensors, requireTensor } from '../../pipeline/lib/util/safetensors.ts';
import { pipeline, tempDir } from '../helpers/cli.ts';
import { FIXTURE } from '../helpers/fixture.ts';
import { TINY } from '../helpers/report-run.ts';

const source = `${FIXTURE}/train.safetensors`;
const { tensors } = decodeSafetensors(readFileSync(source), source);
const x = requireTensor(tensors, 'x', source, 'I64');
const y = requireTensor(tensors, 'y', source, 'F32');
const data: Dataset = { x: { dataType: DataType.INT64, dims: x.shape, data: x.data }, y: { dataType: DataType.FLOAT, dims: y.shape, data: y.data } };
const model = seedSgldModel(SEED_MODEL_CONFIG);
const w0 = flatParameters(buildSeedModel(SEED_MODEL_CONFIG, { training: false, weights: readStateDict(`${FIXTURE}/weights.safetensors`, model.params).weights }), model.params, 'fixture');
// 2 points × 8 chains: the init shard and two chains shards of maxChains (8).
const settings: LlcSettings = {
  lr: 1e-3, nbeta: 2, localization: 5, weight_decay: 0, noise_level: 1, num_chains: 8, num_draws: 4, num_burnin_steps: 2,
  num_steps_bw_draws: 2, batch_size: 256, seed: 3, sampler: 'sgld', init_loss: 'batches',
};
const points: StartPoint[] = [
  { w0, key: 100 },
  { w0, key: 200, trainSeed: 1, lr: 2e-3, nbeta: 5 },
];
const T = { timeout: 300_000 };

test('sampling in 1 and 2 child processes gives in-process runLlc\'s results bit for bit', T, async () => {
  const here = await runLlc(model, points, data, settings, { ...SAMPLER_DEFAULTS, device: 'cpu' });
  for (const processes of [1, 2]) {
    let progress = 0;
    const there = await runLlcOnProcesses(model, points, data, settings, processes, 'cpu', (n) => (progress += n));
    assert.equal(there.shards, 3);
    assert.equal(there.processes, processes);
    assert.equal(there.device, 'cpu');
    assert.equal(progress, 2 * 8 * (2 + 4 * 2), 'progress counts every chain-step once');
    // deepEqual compares Float32Arrays element by element, NaN equal to NaN; the bytes too:
    assert.deepEqual(there.results, here);
    there.results.forEach((r, i) => assert.deepEqual(Buffer.from(r.diagnostics.distance.buffer), Buffer.from(here[i]!.diagnostics.distance.buffer)));
  }
});

test('a shard that fails in a child fails the call with the shard and its reason', T, async () => {
  // The children rebuild the model from its config; one they refuse fails its shard there.
  const broken = { ...model, seedConfig: { ...SEED_MODEL_CONFIG, heads: 5 } };
  await assert.rejects(runLlcOnProcesses(broken, points, data, settings, 2, 'cpu', () => {}), /^Error: sampling process [12] of 2, shard (init|s000\d): .*heads/);
});

test('pipeline run --processes 2 samples in two processes and says so; a bad count is refused', T, async (t) => {
  // 2 training seeds × 4 checkpoints × 2 chains: two sessions of 8 chains. (Their bits equal
  // in-process sampling's: the test above, and the queue tests' in-process runs.)
  const root = tempDir(t, 'llc-processes-');
  const bad = await pipeline(['run', 'estimate', '--run', 'p', '--processes', '0'], root);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--processes 0: expected a whole number of processes ≥ 1/);
  const r = await pipeline(['run', 'estimate', '--run', 'p', '--processes', '2', ...TINY], root);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /estimate: device cpu .* in 2 processes/);
  const manifest = JSON.parse(readFileSync(join(root, 'p', 'estimate', 'manifest.json'), 'utf8')) as { runtime: { processes: number } };
  assert.equal(manifest.runtime.processes, 2);
});
