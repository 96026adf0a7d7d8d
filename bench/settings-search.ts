// `npx tsx bench/settings-search.ts [--grid NAME] [--out results.jsonl]`: trains the seed
// task under many training settings (onnxruntime engine, in process) and records, per
// setting and training seed, the train/test MAE curve and whether the model memorised
// (train MAE far below test MAE while test MAE is still far from learned) before it
// generalised (test MAE at most a quarter of the constant predictor's). The search behind
// the default config; its results are written up in docs/training-settings.md.
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateDataset } from '../stages/generate/dataset.ts';
import { SEED_MODEL_CONFIG, seedParameters } from '../pipeline/lib/model/config.ts';
import { initialWeights } from '../stages/train/init.ts';
import { OrtEngine } from '../stages/train/ort-engine.ts';
import type { SplitTensors } from '../schemas/dataset.ts';

export interface Setting {
  rows: number;
  lr: number;
  optimizer: 'adam' | 'adamw';
  weightDecay: number;
  gain: number;
  dropout: number;
  steps: number;
  evalEvery: number;
  batch?: number;
}

const { values } = parseArgs({ options: { grid: { type: 'string', default: 'first' }, out: { type: 'string', default: 'search.jsonl' }, seeds: { type: 'string', default: '0' } } });

const median = (xs: Float32Array) => {
  const s = Float32Array.from(xs).sort();
  return s[s.length >> 1]!;
};

async function run(s: Setting, seed: number) {
  const cfg = { ...SEED_MODEL_CONFIG, dropout: s.dropout };
  const ds = generateDataset({ seed, nSamples: 2000, seqLen: cfg.seqLen, trainFrac: s.rows / 2000 });
  const split = (x: typeof ds.train): SplitTensors => ({ tokens: BigInt64Array.from(x.tokens, BigInt), targets: x.targets, n: x.n, seqLen: cfg.seqLen });
  const c = median(ds.test.targets);
  const constMae = ds.test.targets.reduce((a, t) => a + Math.abs(t - c), 0) / ds.test.targets.length;
  const batch = Math.min(s.batch ?? 256, ds.train.n);
  const engine = await OrtEngine.open(
    {
      cfg,
      adam: { lr: s.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: s.weightDecay, decoupled: s.optimizer === 'adamw' },
      seed,
      batchSize: batch,
      train: split(ds.train),
      test: split(ds.test),
      state: { weights: initialWeights(seedParameters(cfg), seed, s.gain) },
    },
    { device: 'cpu', threads: 1, stepsPerRun: 25 },
  );
  const curve: { step: number; train: number; test: number }[] = [];
  const t0 = performance.now();
  while (engine.step < s.steps) {
    await engine.train(Math.min(s.evalEvery, s.steps - engine.step));
    curve.push({ step: engine.step, train: (await engine.evaluate('train')).mae, test: (await engine.evaluate('test')).mae });
  }
  await engine.dispose();
  const ms = (performance.now() - t0) / s.steps;
  // Memorisation: an evaluation with train MAE ≤ ½ test MAE while test MAE ≥ ½ constant's.
  const mem = curve.find((p) => p.train <= 0.5 * p.test && p.test >= 0.5 * constMae);
  const gen = curve.find((p) => p.test <= 0.25 * constMae);
  const final = curve[curve.length - 1]!;
  const maxGap = Math.max(...curve.map((p) => p.test - p.train));
  return { setting: s, seed, batch, const_mae: constMae, ms_per_step: ms, memorised_at: mem?.step ?? null, generalised_at: gen?.step ?? null, final, max_gap: maxGap, curve };
}

const GRIDS: Record<string, Setting[]> = {
  first: [30, 100, 600].flatMap((rows) =>
    [2, 8].flatMap((gain) =>
      [0, 0.1].flatMap((dropout) =>
        [0.1, 1].map((wd) => ({ rows, lr: 1e-3, optimizer: 'adamw' as const, weightDecay: wd, gain, dropout, steps: 3000, evalEvery: 100 })),
      ),
    ),
  ),
  // Around the first grid's one memorise-then-generalise setting (30 rows, gain 8, AdamW wd 1, no dropout).
  around: [20, 30, 50].flatMap((rows) =>
    [6, 8, 10].flatMap((gain) => [0.5, 1, 2].map((wd) => ({ rows, lr: 1e-3, optimizer: 'adamw' as const, weightDecay: wd, gain, dropout: 0, steps: 4000, evalEvery: 100 }))),
  ),
  // A slower learning rate with the same lr·wd: does memorisation stretch over more checkpoints?
  stretch: [
    [1e-3, 1],
    [3e-4, 3],
    [3e-4, 1],
    [1e-4, 10],
  ].map(([lr, wd]) => ({ rows: 30, lr: lr!, optimizer: 'adamw' as const, weightDecay: wd!, gain: 8, dropout: 0, steps: 6000, evalEvery: 50 })),
};

const grid = GRIDS[values.grid!];
if (!grid) throw new Error(`--grid ${values.grid}: one of ${Object.keys(GRIDS).join(', ')}`);
for (const s of grid) {
  for (const seed of values.seeds!.split(',').map(Number)) {
    const r = await run(s, seed);
    appendFileSync(values.out!, JSON.stringify(r) + '\n');
    const f = r.final;
    process.stdout.write(
      `rows ${s.rows} lr ${s.lr} ${s.optimizer} wd ${s.weightDecay} gain ${s.gain} drop ${s.dropout} seed ${seed}: ` +
        `mem@${r.memorised_at} gen@${r.generalised_at} final train ${f.train.toFixed(4)} test ${f.test.toFixed(4)} const ${r.const_mae.toFixed(4)} maxgap ${r.max_gap.toFixed(4)} ${r.ms_per_step.toFixed(1)} ms/step\n`,
    );
  }
}
