// Subnormal floats and step time (docs/subnormals.md), `npm run bench -- --only subnormals`
// (`--subnormal-steps N` there):
//  1. training under the notebook's settings (lr 0.01, coupled L2 0.1), whose state fills
//     with subnormals after ~1 000 steps, against lr 1e-3 without L2, whose values stay
//     normal: ms/step over the first 100 steps and over the last 100 of `--steps` (2 400),
//     and the total time of each;
//  2. the notebook state at step 1 500, rebuilt here with subnormals kept, then 100 training
//     steps and 4 SGLD chains × 100 steps from it and from a fresh state, with subnormals
//     flushed (the default) and kept (PIPELINE_SUBNORMALS=keep).
// Each measurement runs in a child process of its own: the flags are per process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { SUBNORMALS_ENV, type Subnormals } from '../pipeline/lib/onnx/ort.ts';
import { buildSeedModel } from '../pipeline/lib/model/seed-model.ts';
import { flatParameters, seedSgldModel } from '../pipeline/lib/sgld/sampled-model.ts';
import { sampleChains, SAMPLER_DEFAULTS, type Dataset } from '../pipeline/lib/sgld/sessions.ts';
import { DataType } from '../pipeline/lib/onnx/ir.ts';
import { Pcg32 } from '../pipeline/lib/util/prng.ts';
import { decodeSafetensors, encodeSafetensors, type SafeTensors } from '../pipeline/lib/util/safetensors.ts';
import { subnormalCounts } from '../pipeline/lib/util/subnormals.ts';
import { OrtEngine } from '../stages/train/ort-engine.ts';
import { ORT_STEPS_PER_RUN } from '../stages/train/open-engine.ts';
import type { TrainerState } from '../stages/train/engine.ts';
import { NOTEBOOK_ADAM, benchSetup } from './setup.ts';

const WINDOW = 100;
const NO_L2 = { ...NOTEBOOK_ADAM, lr: 1e-3, weightDecay: 0 };

async function open(adam = NOTEBOOK_ADAM, state?: TrainerState) {
  return OrtEngine.open(benchSetup({ adam, ...(state ? { state } : {}) }), { device: 'cpu', threads: 1, stepsPerRun: ORT_STEPS_PER_RUN });
}

function stateCounts(s: TrainerState) {
  return { weights: subnormalCounts(s.weights).total, adam_m: subnormalCounts(s.adam!.m).total, adam_v: subnormalCounts(s.adam!.v).total };
}

/** Child: train `steps` from the initial weights; ms/step per window of 100 steps. */
async function curve(adam: typeof NOTEBOOK_ADAM, steps: number) {
  const engine = await open(adam);
  const windows: number[] = [];
  const began = performance.now();
  for (let done = 0; done < steps; done += WINDOW) {
    const t = performance.now();
    await engine.train(Math.min(WINDOW, steps - done));
    windows.push((performance.now() - t) / Math.min(WINDOW, steps - done));
  }
  const total_s = (performance.now() - began) / 1000;
  const counts = stateCounts({ weights: engine.weights(), adam: engine.optimizerState() });
  await engine.dispose();
  return { windows, total_s, subnormals: counts };
}

/** Child: the notebook state after `steps`, written to `file` (run with subnormals kept). */
async function rebuild(file: string, steps: number) {
  const engine = await open();
  await engine.train(steps);
  const opt = engine.optimizerState();
  const tensors: SafeTensors = {};
  for (const [kind, values] of [['w', engine.weights()], ['m', opt.m], ['v', opt.v]] as const) {
    for (const [name, data] of Object.entries(values)) tensors[`${kind}/${name}`] = { dtype: 'F32', shape: [data.length], data };
  }
  writeFileSync(file, encodeSafetensors(tensors, { step: String(opt.step) }));
  await engine.dispose();
  return stateCounts({ weights: engine.weights(), adam: opt });
}

function readState(file: string): TrainerState {
  const { tensors, metadata } = decodeSafetensors(readFileSync(file), file);
  const part = (kind: string) => Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(`${kind}/`)).map(([k, t]) => [k.slice(2), t.data as Float32Array]));
  return { weights: part('w'), adam: { step: Number(metadata.step), m: part('m'), v: part('v') } };
}

/** Child: 100 training steps and 4 SGLD chains × 100 steps from `file`'s state (or a fresh one). */
async function from(file: string) {
  const state = file === 'fresh' ? undefined : readState(file);
  const engine = await open(NOTEBOOK_ADAM, state);
  await engine.train(ORT_STEPS_PER_RUN); // warm-up
  let t = performance.now();
  await engine.train(WINDOW);
  const train_ms = (performance.now() - t) / WINDOW;
  await engine.dispose();

  const setup = benchSetup();
  const model = seedSgldModel(setup.cfg);
  const weights = state?.weights ?? setup.state.weights;
  const w0 = flatParameters(buildSeedModel(setup.cfg, { training: false, weights }), model.params, 'bench state');
  const dims = [setup.train.n, setup.cfg.seqLen];
  const data: Dataset = { x: { dataType: DataType.INT64, dims, data: setup.train.tokens }, y: { dataType: DataType.FLOAT, dims, data: setup.train.targets } };
  const chains = Array.from({ length: 4 }, (_, c) => ({ w0, lr: 1e-3, nbeta: 2, localization: 5, weightDecay: 0, noiseLevel: 1, rng: new Pcg32(0, c) }));
  t = performance.now();
  await sampleChains(model, chains, data, { ...SAMPLER_DEFAULTS, device: 'cpu', batchSize: 256, schedule: { burnin: 0, draws: WINDOW, thin: 1 } });
  return { train_ms, sgld_chain_steps_per_s: (chains.length * WINDOW) / ((performance.now() - t) / 1000) };
}

async function child<T>(policy: Subnormals, ...args: string[]): Promise<T> {
  const r = await execa(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', ...args], { env: { [SUBNORMALS_ENV]: policy } });
  return JSON.parse(String(r.stdout).trim().split('\n').pop()!) as T;
}

export async function benchSubnormals(steps: number): Promise<void> {
  const out = (line: string) => process.stdout.write(line + '\n');
  out(`\nsubnormal floats (docs/subnormals.md), onnxruntime CPU ×1, ${cpus()[0]?.model ?? '?'}, batch 256, dropout 0.1`);
  out(`training from the initial weights, subnormals flushed (the default), ${steps} steps:`);
  out(`  ${'settings'.padEnd(34)}${'ms/step 1–100'.padStart(14)}${`ms/step last 100`.padStart(18)}${'total s'.padStart(9)}  subnormals left`);
  const runs: Record<string, { total_s: number }> = {};
  for (const [label, adam] of [['notebook (lr 0.01, coupled L2 0.1)', NOTEBOOK_ADAM], ['lr 1e-3, no L2', NO_L2]] as const) {
    const r = await child<Awaited<ReturnType<typeof curve>>>('flush', 'curve', JSON.stringify(adam), String(steps));
    runs[label] = r;
    const left = r.subnormals.weights + r.subnormals.adam_m + r.subnormals.adam_v;
    out(`  ${label.padEnd(34)}${r.windows[0]!.toFixed(1).padStart(14)}${r.windows[r.windows.length - 1]!.toFixed(1).padStart(18)}${r.total_s.toFixed(1).padStart(9)}  ${left}`);
  }
  const [a, b] = Object.values(runs) as [{ total_s: number }, { total_s: number }];
  out(`  notebook / no-L2 total time: ${(a.total_s / b.total_s).toFixed(2)}×`);

  const dir = mkdtempSync(join(tmpdir(), 'llc-bench-subnormals-'));
  try {
    const file = join(dir, 'step-1500.safetensors');
    const counts = await child<ReturnType<typeof stateCounts>>('keep', 'rebuild', file, '1500');
    out(`the notebook state at step 1 500, rebuilt with subnormals kept: ${counts.weights} subnormal weights, ${counts.adam_m} in Adam's m, ${counts.adam_v} in v`);
    out(`  ${'from'.padEnd(22)}${'subnormals'.padEnd(12)}${'train ms/step'.padStart(14)}${'SGLD chain-steps/s'.padStart(20)}`);
    for (const [label, source] of [['a fresh state', 'fresh'], ['step 1 500', file]] as const) {
      for (const policy of ['flush', 'keep'] as const) {
        const r = await child<Awaited<ReturnType<typeof from>>>(policy, 'from', source);
        out(`  ${label.padEnd(22)}${(policy === 'flush' ? 'flushed' : 'kept').padEnd(12)}${r.train_ms.toFixed(1).padStart(14)}${r.sgld_chain_steps_per_s.toFixed(1).padStart(20)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The child processes' entry: `--child curve|rebuild|from …`.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  const [what, a, b] = process.argv.slice(3);
  const result = what === 'curve' ? await curve(JSON.parse(a!), Number(b)) : what === 'rebuild' ? await rebuild(a!, Number(b)) : await from(a!);
  process.stdout.write(JSON.stringify(result) + '\n');
}
