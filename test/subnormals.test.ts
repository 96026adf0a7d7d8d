// Subnormal floats are flushed to zero on every path that runs many steps (docs/subnormals.md),
// shown by values: one training step (onnxruntime and tfjs engines) from a state holding
// subnormals gives bit for bit the step from the same state with them set to 0, and leaves
// none behind where, kept, they would have stayed (token embeddings of letters absent from the
// step's batch, with their Adam moments: their gradient is only the L2 term). The SGLD step's
// counterpart is in sgld-graph.test.ts. PIPELINE_SUBNORMALS=keep turns it off for a process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SplitTensors } from '../schemas/dataset.ts';
import { generateDataset, VOCAB_SIZE } from '../stages/generate/dataset.ts';
import { SEED_MODEL_CONFIG, seedParameters, type SeedModelConfig } from '../pipeline/lib/model/config.ts';
import { execFileSync } from 'node:child_process';
import { SUBNORMALS_ENV, subnormalsFlushed } from '../pipeline/lib/onnx/ort.ts';
import { initBackend } from '../pipeline/lib/tfjs/backend.ts';
import { countSubnormals, subnormalCounts } from '../pipeline/lib/util/subnormals.ts';
import { batchIndices } from '../stages/train/batches.ts';
import type { TrainEngine, TrainSetup, TrainerState } from '../stages/train/engine.ts';
import { initialWeights } from '../stages/train/init.ts';
import { OrtEngine } from '../stages/train/ort-engine.ts';
import { TfjsEngine } from '../stages/train/tfjs-engine.ts';

const T = { timeout: 120_000 };
const SEED = 3;
const BATCH = 2;
const cfg: SeedModelConfig = { ...SEED_MODEL_CONFIG, dropout: 0 };
const params = seedParameters(cfg);
const data = generateDataset({ seed: 0, nSamples: 200, seqLen: cfg.seqLen, trainFrac: 0.3 });
const split = (s: typeof data.train): SplitTensors => ({ tokens: BigInt64Array.from(s.tokens, BigInt), targets: s.targets, n: s.n, seqLen: data.seqLen });

/** 2^-130, written as bits: a JavaScript store on a flushing thread would make it 0. */
const SUBNORMAL_BITS = 0x00080000;

/** Letters that step 1's batch does not contain: their embedding rows get no loss gradient. */
function absentLetters(): number[] {
  const present = new Set<number>();
  for (const row of batchIndices(SEED, 1, data.train.n, BATCH)) for (let t = 0; t < cfg.seqLen; t++) present.add(data.train.tokens[row * cfg.seqLen + t]!);
  return Array.from({ length: VOCAB_SIZE }, (_, k) => k).filter((k) => !present.has(k));
}

/** A state after a few steps: the absent letters' embedding rows and their Adam moments
 * subnormal (or 0 in the twin); everything else ordinary. */
function stateWith(subnormal: boolean): TrainerState {
  const weights = initialWeights(params, SEED);
  const m = Object.fromEntries(params.map((p) => [p.name, weights[p.name]!.map((w) => w * 1e-3)]));
  const v = Object.fromEntries(params.map((p) => [p.name, weights[p.name]!.map((w) => w * w * 1e-4)]));
  for (const k of absentLetters()) {
    for (const arr of [weights, m, v]) {
      const row = new Uint32Array(arr['embedding.weight']!.buffer, k * cfg.dModel * 4, cfg.dModel);
      row.fill(subnormal ? SUBNORMAL_BITS : 0);
    }
  }
  return { weights, adam: { step: 10, m, v } };
}

function setup(state: TrainerState): TrainSetup {
  return {
    cfg,
    adam: { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 },
    seed: SEED,
    batchSize: BATCH,
    train: split(data.train),
    test: split(data.test),
    state,
  };
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

async function stepBoth(open: (s: TrainSetup) => Promise<TrainEngine>): Promise<void> {
  const laden = stateWith(true);
  const held = [laden.weights, laden.adam!.m, laden.adam!.v].reduce((n, arrays) => n + subnormalCounts(arrays).total, 0);
  assert.equal(held, 3 * absentLetters().length * cfg.dModel, 'the laden state holds the subnormals it was given');
  const results = [];
  for (const state of [laden, stateWith(false)]) {
    const engine = await open(setup(state));
    await engine.train(1);
    results.push({ weights: engine.weights(), opt: engine.optimizerState() });
    await engine.dispose();
  }
  const [fromLaden, fromZero] = results as [(typeof results)[0], (typeof results)[0]];
  for (const [what, a, b] of [
    ['weights', fromLaden.weights, fromZero.weights],
    ['Adam m', fromLaden.opt.m, fromZero.opt.m],
    ['Adam v', fromLaden.opt.v, fromZero.opt.v],
  ] as const) {
    for (const p of params) {
      assert.deepEqual(bits(a[p.name]!), bits(b[p.name]!), `${what} of ${p.name}: the step from subnormals differs from the step from zeros`);
      assert.equal(countSubnormals(a[p.name]!), 0, `${what} of ${p.name} holds subnormals after the step`);
    }
  }
  // Where they were, the flushed step leaves exact zeros (kept, 0.1·w would leave them subnormal).
  const row = absentLetters()[0]! * cfg.dModel;
  assert.ok(bits(fromLaden.weights['embedding.weight']!.subarray(row, row + cfg.dModel)).every((b) => b === 0));
}

test('this process flushes subnormals: inputs read as 0 and results that would be subnormal are 0', T, async () => {
  assert.deepEqual(await subnormalsFlushed(), { inputs: true, outputs: true });
});

/** What subnormalsFlushed says in a fresh process under PIPELINE_SUBNORMALS=value. */
function flushedInChild(value: string): string {
  const script = "import('./pipeline/lib/onnx/ort.ts').then(async (m) => console.log(JSON.stringify(await m.subnormalsFlushed()))).catch((e) => console.log(e.message))";
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, [SUBNORMALS_ENV]: value } }).trim();
}

test('PIPELINE_SUBNORMALS=keep keeps them in its process (for measuring); another value is refused by name', T, () => {
  assert.equal(flushedInChild('keep'), JSON.stringify({ inputs: false, outputs: false }));
  assert.match(flushedInChild('off'), /PIPELINE_SUBNORMALS=off: expected flush or keep/);
});

test('onnxruntime engine: a training step from subnormals is the step from zeros, and leaves none', T, async () => {
  await stepBoth((s) => OrtEngine.open(s, { device: 'cpu', threads: 1, stepsPerRun: 25 }));
});

test('tfjs engine (wasm): a training step from subnormals is the step from zeros, and leaves none', T, async () => {
  await initBackend('wasm');
  await stepBoth(async (s) => new TfjsEngine(s, 'wasm'));
});
