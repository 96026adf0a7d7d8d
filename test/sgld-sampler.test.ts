// The seed model's chains in onnxruntime: the optimised chained loss graph reproduces the
// exported eval model, and chains batched into one session give the results of the same
// chains run one at a time (same seeds), whatever the steps per run.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeSafetensors, requireTensor } from '../pipeline/lib/util/safetensors.ts';
import { Pcg32 } from '../pipeline/lib/util/prng.ts';
import { SEED_MODEL_CONFIG } from '../pipeline/lib/model/config.ts';
import { buildSeedModel } from '../pipeline/lib/model/seed-model.ts';
import { readStateDict } from '../pipeline/lib/model/state-dict.ts';
import { DataType } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { resolveDevice } from '../pipeline/lib/sgld/device.ts';
import { flatParameters, importOnnxModel, seedSgldModel } from '../pipeline/lib/sgld/sampled-model.ts';
import { readModelFile } from '../pipeline/lib/onnx/io.ts';
import { initLossBatches, initLosses, sampleChains, type ChainSpec, type Dataset } from '../pipeline/lib/sgld/sessions.ts';
import { consecutiveBatches } from '../pipeline/lib/sgld/loader.ts';
import { initialWeights } from '../stages/train/init.ts';
import { FIXTURE } from './helpers/fixture.ts';

const T = { timeout: 60_000 };
const cfg = SEED_MODEL_CONFIG;
const model = seedSgldModel(cfg);
const { weights } = readStateDict(`${FIXTURE}/weights.safetensors`, model.params);
const exported = buildSeedModel(cfg, { training: false, weights });
const w0 = flatParameters(exported, model.params, 'fixture');
const halved = w0.map((v) => v / 2);
const source = `${FIXTURE}/train.safetensors`;
const { tensors } = decodeSafetensors(readFileSync(source), source);
const x = requireTensor(tensors, 'x', source, 'I64');
const y = requireTensor(tensors, 'y', source, 'F32');
const data: Dataset = { x: { dataType: DataType.INT64, dims: x.shape, data: x.data }, y: { dataType: DataType.FLOAT, dims: y.shape, data: y.data } };
const session = { device: 'cpu' as const, threads: 1 };

/** The MSE of the model's predictions on `rows`, by hand. */
async function mseByHand(onnx: Parameters<typeof createSession>[0], input: string): Promise<(rows: number[]) => number> {
  const ort = await createSession(onnx);
  const pred = (await runSession(ort, { [input]: data.x }))['pred']!.data as Float32Array;
  await ort.release();
  const targets = data.y.data as Float32Array;
  return (rows) => rows.reduce((s, r) => s + Array.from({ length: 10 }, (_, t) => (pred[r * 10 + t]! - targets[r * 10 + t]!) ** 2).reduce((a, b) => a + b, 0), 0) / (rows.length * 10);
}

/** devinterp's init_loss by hand: the mean MSE of the first three batches of the loader `rng` gives. */
async function initLossByHand(onnx: Parameters<typeof createSession>[0], input: string, rng: Pcg32): Promise<number> {
  const mse = await mseByHand(onnx, input);
  const order = rng.permutation(600);
  return (mse(order.slice(0, 256)) + mse(order.slice(256, 512)) + mse(order.slice(512))) / 3;
}

test('init_loss from the optimised chained graph equals the exported model\'s MSE', T, async () => {
  const [fromGraph] = await initLosses(model, [w0], [initLossBatches(new Pcg32(5, 9), 600, 256, 3)], data, { ...session, maxChains: 16, batchSize: 256 });
  const expected = await initLossByHand(exported, 'tokens', new Pcg32(5, 9));
  assert.ok(Math.abs(fromGraph! - expected) < 1e-6, `${fromGraph} vs ${expected}`);
});

test('init_loss of the inlined PyTorch export equals its own MSE', T, async () => {
  const path = `${FIXTURE}/model.onnx`;
  const imported = importOnnxModel(readModelFile(path), path);
  const [fromGraph] = await initLosses(imported.model, [imported.w0], [initLossBatches(new Pcg32(2, 4), 600, 256, 3)], data, { ...session, maxChains: 16, batchSize: 256 });
  const expected = await initLossByHand(readFileSync(path), 'tokens', new Pcg32(2, 4));
  assert.ok(Math.abs(fromGraph! - expected) < 1e-6, `${fromGraph} vs ${expected}`);
});

test('init_loss full is the MSE on all 600 rows, whatever the batch size', T, async () => {
  const all = (await mseByHand(exported, 'tokens'))(Array.from({ length: 600 }, (_, r) => r));
  for (const batchSize of [256, 600, 7]) {
    const [full] = await initLosses(model, [w0], [consecutiveBatches(600, batchSize)], data, { ...session, maxChains: 16, batchSize }, true);
    assert.ok(Math.abs(full! - all) < 1e-6, `batch ${batchSize}: ${full} vs ${all}`);
  }
});

test('batched chains equal the same chains run one at a time', T, async () => {
  const chains = (): ChainSpec[] => [
    { w0, lr: 1e-3, nbeta: 2, localization: 5, weightDecay: 0, noiseLevel: 1, rng: new Pcg32(0, 0) },
    { w0: halved, lr: 3e-3, nbeta: 46.17, localization: 1, weightDecay: 0.1, noiseLevel: 1, rng: new Pcg32(0, 1) },
    { w0, lr: 1e-4, nbeta: 2, localization: 5, weightDecay: 0, noiseLevel: 0.5, rng: new Pcg32(7, 3) },
  ];
  const schedule = { burnin: 1, draws: 6, thin: 2 };
  const batched = await sampleChains(model, chains(), data, { ...session, maxChains: 3, batchSize: 256, schedule, stepsPerRun: 5 });
  const single = await sampleChains(model, chains(), data, { ...session, maxChains: 1, batchSize: 256, schedule, stepsPerRun: 4 });
  batched.forEach((run, c) => {
    assert.equal(run.divergence, undefined);
    run.losses.forEach((v, d) => {
      const u = single[c]!.losses[d]!;
      assert.ok(Math.abs(v - u) <= 1e-5 * Math.abs(u), `chain ${c} draw ${d}: batched ${v}, alone ${u}`);
    });
  });
  assert.notDeepEqual(batched[0]!.losses, batched[2]!.losses);
});

test('the chained seed model samples as its unchained eval graph does: the same noise and minibatches give the same losses', T, async () => {
  // Both gradients are our autodiff's, of two ways of writing the forward pass (a chain axis,
  // one-hot embeddings and per-chain LayerNorm scales here; the plain graph there, inlined as
  // any ONNX model is): over 40 steps the trajectories agree until float rounding, far
  // closer than chains of other streams.
  // At the default run's initialisation (xavier gain 8) attention matters: with q and k
  // swapped in one graph the losses part by ~5e-3 at once (the fixture's attention is nearly
  // uniform, and there they would not).
  const start = buildSeedModel(cfg, { training: false, weights: initialWeights(model.params, 3, 8) });
  const unchained = importOnnxModel(start, 'the eval graph');
  assert.deepEqual(unchained.model.params, model.params);
  const spec = (rng: Pcg32): ChainSpec => ({ w0: unchained.w0, lr: 1e-3, nbeta: 20, localization: 5, weightDecay: 0, noiseLevel: 1, rng });
  const opts = { ...session, maxChains: 2, batchSize: 256, schedule: { burnin: 0, draws: 40, thin: 1 }, stepsPerRun: 20 };
  const [chained, other] = await sampleChains(model, [spec(new Pcg32(4, 2)), spec(new Pcg32(4, 3))], data, opts);
  const [alone] = await sampleChains(unchained.model, [spec(new Pcg32(4, 2))], data, opts);
  chained!.losses.forEach((v, d) => {
    const u = alone!.losses[d]!;
    assert.ok(Math.abs(v - u) <= 1e-4 * u, `draw ${d}: chained ${v}, unchained ${u}`);
  });
  const apart = Math.max(...chained!.losses.map((v, d) => Math.abs(v - other!.losses[d]!) / v));
  assert.ok(apart > 1e-2, `chains of different streams differ by only ${apart}`);
});

const cuda = (await resolveDevice('auto')).device === 'cuda';

test('on CUDA: the init_loss of the CPU and finite chains', { ...T, skip: cuda ? false : 'the CUDA execution provider does not load here' }, async () => {
  const batches = [initLossBatches(new Pcg32(1, 1), 600, 256, 3)];
  const [onCpu] = await initLosses(model, [w0], batches, data, { ...session, maxChains: 16, batchSize: 256 });
  const [onGpu] = await initLosses(model, [w0], batches, data, { device: 'cuda', threads: 1, maxChains: 16, batchSize: 256 });
  assert.ok(Math.abs(onGpu! - onCpu!) < 1e-5 * onCpu!, `cuda ${onGpu} vs cpu ${onCpu}`);
  const chains = Array.from({ length: 4 }, (_, c) => ({ w0, lr: 1e-3, nbeta: 2, localization: 5, weightDecay: 0, noiseLevel: 1, rng: new Pcg32(0, c) }));
  const runs = await sampleChains(model, chains, data, { device: 'cuda', threads: 1, maxChains: 4, batchSize: 256, schedule: { burnin: 0, draws: 20, thin: 1 }, stepsPerRun: 10 });
  for (const r of runs) assert.ok(r.losses.every(Number.isFinite));
});
