// The two training engines on the same graph, minibatches and Adam: tfjs (wasm backend)
// and onnxruntime (CPU). With dropout off they agree step for step until Adam's sensitivity
// to rounding takes over; with dropout on (different mask streams) their loss curves agree
// within the seed-to-seed spread. Batch 64 keeps tfjs' share of the suite short. Where
// onnxruntime's CUDA provider loads, the GPU repeats the CPU's steps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SplitTensors } from '../../schemas/dataset.ts';
import { generateDataset } from '../../stages/generate/dataset.ts';
import { mean, variance } from '../../pipeline/lib/util/moments.ts';
import { SEED_MODEL_CONFIG, seedParameters, type SeedModelConfig } from '../../pipeline/lib/model/config.ts';
import { resolveDevice } from '../../pipeline/lib/sgld/device.ts';
import { initBackend } from '../../pipeline/lib/tfjs/backend.ts';
import type { TrainEngine, TrainSetup } from '../../stages/train/engine.ts';
import { initialWeights } from '../../stages/train/init.ts';
import { ORT_STEPS_PER_RUN } from '../../stages/train/open-engine.ts';
import { OrtEngine } from '../../stages/train/ort-engine.ts';
import { TfjsEngine } from '../../stages/train/tfjs-engine.ts';

const T = { timeout: 600_000 };
const BATCH = 64;
const data = generateDataset({ seed: 0, nSamples: 2000, seqLen: SEED_MODEL_CONFIG.seqLen, trainFrac: 0.3 });
const split = (s: typeof data.train): SplitTensors => ({ tokens: BigInt64Array.from(s.tokens, BigInt), targets: s.targets, n: s.n, seqLen: data.seqLen });

function setup(dropout: number, seed: number): TrainSetup {
  const cfg: SeedModelConfig = { ...SEED_MODEL_CONFIG, dropout };
  return {
    cfg,
    adam: { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 },
    seed,
    batchSize: BATCH,
    train: split(data.train),
    test: split(data.test),
    state: { weights: initialWeights(seedParameters(cfg), seed) },
  };
}

async function engines(s: TrainSetup): Promise<[TrainEngine, TrainEngine]> {
  await initBackend('wasm');
  return [new TfjsEngine(s, 'wasm'), await OrtEngine.open(s, { device: 'cpu', threads: 1, stepsPerRun: ORT_STEPS_PER_RUN })];
}

/** √(Σ(a−b)² / Σb²) over the named parameters. */
function relativeRms(a: Record<string, Float32Array>, b: Record<string, Float32Array>, names: string[]): number {
  let num = 0;
  let den = 0;
  for (const n of names) {
    a[n]!.forEach((x, i) => {
      num += (x - b[n]![i]!) ** 2;
      den += b[n]![i]! ** 2;
    });
  }
  return Math.sqrt(num / den);
}

test('dropout off: after 50 steps the engines hold the same weights; their losses agree until rounding chaos', T, async () => {
  const [tfjs, ort] = await engines(setup(0, 0));
  const lt = Array.from(await tfjs.train(50));
  const lo = Array.from(await ort.train(50));
  assert.equal(tfjs.step, 50);
  assert.equal(ort.step, 50);
  // The key biases (the middle third of each in_proj_bias) have a gradient that is zero in
  // exact arithmetic — softmax ignores a per-query constant — so Adam, which divides by √v,
  // turns each engine's rounding noise into ±lr steps there. Every other weight must agree.
  const names = seedParameters(SEED_MODEL_CONFIG).map((p) => p.name);
  const wt = tfjs.weights();
  const wo = ort.weights();
  const d = SEED_MODEL_CONFIG.dModel;
  for (const w of [wt, wo]) for (const n of names.filter((x) => x.endsWith('in_proj_bias'))) w[n]!.fill(0, d, 2 * d);
  const rms = relativeRms(wo, wt, names);
  assert.ok(rms <= 1e-4, `weights after 50 steps differ by ${rms.toExponential(2)} relative RMS`);
  const optT = tfjs.optimizerState();
  const optO = ort.optimizerState();
  assert.equal(optO.step, optT.step);
  lt.forEach((l, i) => assert.ok(Math.abs(lo[i]! - l) <= 1e-5 * l, `step ${i + 1}: loss ${lo[i]} (onnxruntime) vs ${l} (tfjs)`));
  // Up to step 200 the curves agree within 1 %. A 1e-7 relative nudge of the initial weights
  // in one engine alone moves its loss by more than 1 % from step ~260 on (measured: at lr
  // 0.01 Adam amplifies rounding), so a pointwise bound over 1 000 steps would test chaos.
  lt.push(...(await tfjs.train(150)));
  lo.push(...(await ort.train(150)));
  lt.forEach((l, i) => assert.ok(Math.abs(lo[i]! - l) <= 0.01 * l, `step ${i + 1}: loss ${lo[i]} (onnxruntime) vs ${l} (tfjs)`));
  const et = await tfjs.evaluate('test');
  const eo = await ort.evaluate('test');
  assert.ok(Math.abs(eo.mae - et.mae) <= 0.01 * et.mae, `test MAE ${eo.mae} vs ${et.mae}`);
  await tfjs.dispose();
  await ort.dispose();
});

test('AdamW with a large initialisation (the default settings\' optimiser): after 20 steps the engines hold the same weights', T, async () => {
  const s = setup(0, 5);
  s.adam = { ...s.adam, lr: 1e-3, weightDecay: 1, decoupled: true };
  s.state = { weights: initialWeights(seedParameters(s.cfg), 5, 8) };
  const [tfjs, ort] = await engines(s);
  const lt = await tfjs.train(20);
  const lo = await ort.train(20);
  // Gain 8 saturates the softmax more, so rounding grows faster than at gain 2.
  lt.forEach((l, i) => assert.ok(Math.abs(lo[i]! - l) <= 1e-4 * l, `step ${i + 1}: loss ${lo[i]} (onnxruntime) vs ${l} (tfjs)`));
  const names = seedParameters(SEED_MODEL_CONFIG).map((p) => p.name).filter((n) => !n.endsWith('in_proj_bias'));
  const rms = relativeRms(ort.weights(), tfjs.weights(), names);
  assert.ok(rms <= 1e-4, `weights after 20 steps differ by ${rms.toExponential(2)} relative RMS`);
  await tfjs.dispose();
  await ort.dispose();
});

test('dropout on: the engines\' loss curves agree within the seed-to-seed spread (3 seeds each, 200 steps)', T, async () => {
  const STEPS = 200;
  const WINDOW = 100;
  const curves: Record<'tfjs' | 'onnxruntime', number[][]> = { tfjs: [], onnxruntime: [] };
  for (const seed of [1, 2, 3]) {
    const [tfjs, ort] = await engines(setup(SEED_MODEL_CONFIG.dropout, seed));
    for (const [name, engine] of [['tfjs', tfjs], ['onnxruntime', ort]] as const) {
      const losses = await engine.train(STEPS);
      curves[name].push(Array.from({ length: STEPS / WINDOW }, (_, w) => mean(Array.from(losses.subarray(w * WINDOW, (w + 1) * WINDOW)))));
      await engine.dispose();
    }
  }
  for (let w = 0; w < STEPS / WINDOW; w++) {
    const t = curves.tfjs.map((c) => c[w]!);
    const o = curves.onnxruntime.map((c) => c[w]!);
    const se = Math.sqrt(variance(t) / t.length + variance(o) / o.length);
    const gap = Math.abs(mean(t) - mean(o));
    assert.ok(gap <= 4 * se, `steps ${w * WINDOW + 1}–${(w + 1) * WINDOW}: mean loss ${mean(o).toFixed(5)} (onnxruntime) vs ${mean(t).toFixed(5)} (tfjs), ${(gap / se).toFixed(1)} combined standard errors apart`);
  }
});

test('dropout on, weights held fixed (lr 0): the two engines\' masks give the same train-mode loss on average', T, async () => {
  // Paired over 300 steps: the same batch each step, each engine its own mask, so the mean
  // difference measures only what the masks do (a missing 1/(1−p) scale: ~8 standard errors).
  const s = setup(SEED_MODEL_CONFIG.dropout, 1);
  s.adam = { ...s.adam, lr: 0 };
  s.state = { weights: initialWeights(seedParameters(s.cfg), 2) };
  const [tfjs, ort] = await engines(s);
  const lt = await tfjs.train(300);
  const lo = await ort.train(300);
  const d = Array.from(lo, (l, i) => l - lt[i]!);
  assert.ok(d.some((x) => x !== 0), 'the engines drew the same masks');
  const z = mean(d) / Math.sqrt(variance(d) / d.length);
  assert.ok(Math.abs(z) <= 4, `mean train-mode loss ${mean(Array.from(lo)).toFixed(5)} (onnxruntime) vs ${mean(Array.from(lt)).toFixed(5)} (tfjs): ${z.toFixed(1)} standard errors apart`);
  await tfjs.dispose();
  await ort.dispose();
});

const cuda = (await resolveDevice('auto')).device === 'cuda';

test('on CUDA: the same steps as on the CPU, dropout masks included (TF32 tolerance)', { ...T, skip: cuda ? false : 'the CUDA execution provider does not load here' }, async () => {
  const s = setup(SEED_MODEL_CONFIG.dropout, 4);
  const onCpu = await OrtEngine.open(s, { device: 'cpu', threads: 1, stepsPerRun: ORT_STEPS_PER_RUN });
  const onGpu = await OrtEngine.open(s, { device: 'cuda', threads: 1, stepsPerRun: ORT_STEPS_PER_RUN });
  const lc = await onCpu.train(20);
  const lg = await onGpu.train(20);
  lc.forEach((l, i) => assert.ok(Math.abs(lg[i]! - l) <= 1e-2 * l, `step ${i + 1}: loss ${lg[i]} (cuda) vs ${l} (cpu)`));
  const ec = await onCpu.evaluate('test');
  const eg = await onGpu.evaluate('test');
  assert.ok(Math.abs(eg.mae - ec.mae) <= 1e-2 * ec.mae, `test MAE ${eg.mae} (cuda) vs ${ec.mae} (cpu)`);
  await onCpu.dispose();
  await onGpu.dispose();
});
