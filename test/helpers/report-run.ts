// A complete run for the report and diff tests. generate, train, export and estimate run
// through the real CLI on a tiny config.
//
// STAND-INS, until the sweep and calibration stages land: their folders — sweep.json and
// traces/, calibration.json and trace.safetensors, each with health.json and a manifest —
// are written here to schemas/sweep.ts, schemas/calibration.ts and schemas/health.ts,
// from synthetic SGLD-like loss traces (seeded, with diverged chains at the largest ε)
// put through the real λ̂ statistics (stages/sgld/stats.ts) and health diagnostics
// (stages/health). When those stages exist, buildRun runs them instead.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, hostname, platform } from 'node:os';
import { join } from 'node:path';
import { CALIBRATION_SCHEMA_ID, CALIBRATION_SCHEMA_VERSION, type Calibration } from '../../schemas/calibration.ts';
import type { Config } from '../../schemas/config.ts';
import type { EstimateHealth } from '../../schemas/health.ts';
import { MANIFEST_SCHEMA_ID, MANIFEST_SCHEMA_VERSION, type Manifest } from '../../schemas/manifest.ts';
import { SWEEP_SCHEMA_ID, SWEEP_SCHEMA_VERSION, type Sweep, type SweepPoint } from '../../schemas/sweep.ts';
import { Metrics } from '../../schemas/training.ts';
import { estimateHealth, healthFile } from '../../stages/health/estimate-health.ts';
import { sha256 } from '../../stages/lib/hash.ts';
import { Pcg32 } from '../../stages/lib/prng.ts';
import { readJsonFile, readSavedConfig } from '../../stages/lib/run-dir.ts';
import { decodeSafetensors, encodeSafetensors } from '../../stages/lib/safetensors.ts';
import { defaultNbeta, estimateLlc } from '../../stages/sgld/stats.ts';
import { traceTensors } from '../../stages/sgld/trace.ts';
import { pipeline } from './cli.ts';

export const TINY = [
  'generate.n_samples=300', 'train.batch_size=32', 'train.steps=40', 'train.eval_every=10', 'train.checkpoint_every=10', 'train.backend=wasm',
  'train.d_model=16', 'train.n_heads=2', 'train.d_ff=16', 'train.n_layers=1',
  'estimate.num_chains=2', 'estimate.num_draws=20', 'estimate.batch_size=32', 'estimate.device=cpu',
  'sweep.epsilon_samples=3', 'sweep.beta_samples=3', 'sweep.num_draws=60', 'calibration.num_chains=3', 'calibration.num_draws=200',
].flatMap((s) => ['--set', s]);

/** Runs generate → estimate through the CLI, then writes the stand-in sweep and calibration; returns the run folder. */
export async function buildRun(root: string, id: string, sets: string[] = []): Promise<string> {
  const r = await pipeline(['run', 'generate', 'train', 'export', 'estimate', '--run', id, ...TINY, ...sets], root);
  assert.equal(r.code, 0, r.stderr);
  const runDir = join(root, id);
  writeStandIns(runDir);
  return runDir;
}

function writeStage(runDir: string, stage: string, config: Record<string, unknown>, files: Record<string, Uint8Array | string>): void {
  const outputs: Manifest['outputs'] = {};
  for (const [file, content] of Object.entries(files)) {
    const path = join(runDir, stage, file);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    outputs[file] = { sha256: sha256(bytes), bytes: bytes.length };
  }
  const now = new Date().toISOString();
  const manifest: Manifest = {
    schema: MANIFEST_SCHEMA_ID,
    schema_version: MANIFEST_SCHEMA_VERSION,
    stage,
    output_schema: { id: `llc-pipeline/${stage}`, version: 1 },
    run: runDir.split('/').at(-1)!,
    config,
    inputs: {},
    outputs,
    tools: { node: process.version, 'stand-in': 'test/helpers/report-run.ts' },
    runtime: { device: 'cpu' },
    host: { hostname: hostname(), platform: platform(), arch: arch(), cpus: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown' },
    started_at: now,
    ended_at: now,
    duration_s: 0.5,
    results: {},
  };
  writeFileSync(join(runDir, stage, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

function normal(rng: Pcg32): number {
  return Math.sqrt(-2 * Math.log(1 - rng.uniform())) * Math.cos(2 * Math.PI * rng.uniform());
}

/** Chains whose loss rises from init by `excess` and settles, with noise; a chain in `diverge` turns NaN half-way. */
function synthChains(rng: Pcg32, chains: number, draws: number, init: number, excess: number, noise: number, diverge: number[]) {
  const losses = Array.from({ length: chains }, (_, c) =>
    Float32Array.from({ length: draws }, (_, d) => (diverge.includes(c) && d >= draws / 2 ? NaN : init + excess * (1 - Math.exp(-d / (draws / 8))) + noise * normal(rng))),
  );
  const divergences = diverge.map((chain) => ({ chain, step: Math.ceil(draws / 2), draw: Math.ceil(draws / 2) }));
  return { losses, divergences };
}

function weightsOf(runDir: string, step: number): Float32Array {
  const file = join(runDir, 'train', 'checkpoints', `step-${String(step).padStart(6, '0')}.safetensors`);
  const parts = Object.values(decodeSafetensors(readFileSync(file)).tensors).map((t) => Float32Array.from(t.data as Float32Array));
  return Float32Array.from(parts.flatMap((p) => [...p]));
}

function health(label: string, est: ReturnType<typeof estimateLlc>, chains: number, draws: number, divergences: { chain: number }[], lr: number, weights: Float32Array): EstimateHealth {
  return estimateHealth({ label, chains, draws, loss: est.lossTrace, llc: est.llcTrace, diverged: divergences, llcMean: est.llcMean, lr, noiseLevel: 1, weights });
}

const logspace = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, i) => (n === 1 ? lo : lo * (hi / lo) ** (i / (n - 1))));
const json = (v: unknown) => JSON.stringify(v, null, 2);

function writeStandIns(runDir: string): void {
  const config: Config = readSavedConfig(runDir);
  const metrics = readJsonFile(join(runDir, 'train', 'metrics.json'), Metrics);
  const last = metrics.rows.at(-1)!;
  const step = last.step;
  const model = `models/step-${String(step).padStart(6, '0')}.onnx`;
  const weights = weightsOf(runDir, step);
  const init = last.train_mse;
  const rng = new Pcg32(7, 1);

  const s = config.sweep;
  const nbeta0 = defaultNbeta(config.estimate.batch_size);
  const epsilons = logspace(s.min_epsilon, s.max_epsilon, s.epsilon_samples);
  const nbetas = logspace(1e-2 * nbeta0, 1e3 * nbeta0, s.beta_samples);
  const window = Math.min(50, s.num_draws);
  const sweepFiles: Record<string, Uint8Array | string> = {};
  const sweepHealth: EstimateHealth[] = [];
  const points: SweepPoint[] = epsilons.flatMap((epsilon, i) =>
    nbetas.map((nbeta, j) => {
      // At the largest ε: every chain diverges at the largest nβ, one chain at the next.
      const top = i === epsilons.length - 1;
      const diverge = top && j === nbetas.length - 1 ? Array.from({ length: s.num_chains }, (_, c) => c) : top && j === nbetas.length - 2 ? [0] : [];
      const { losses, divergences } = synthChains(rng, s.num_chains, s.num_draws, init, (0.5 * Math.sqrt(epsilon)) / Math.sqrt(nbeta), init * 0.02, diverge);
      const est = estimateLlc(losses, new Set(diverge), init, nbeta);
      const trace = `traces/eps-${i}-nbeta-${j}.safetensors`;
      sweepFiles[trace] = encodeSafetensors(traceTensors(est));
      sweepHealth.push(health(`sweep ε=${epsilon.toPrecision(3)} nβ=${nbeta.toPrecision(3)}`, est, s.num_chains, s.num_draws, divergences, epsilon, weights));
      const kept = Array.from({ length: s.num_chains }, (_, c) => c).filter((c) => !diverge.includes(c));
      const tail = kept.flatMap((c) => [...est.llcTrace.subarray(c * s.num_draws + s.num_draws - window, (c + 1) * s.num_draws)]);
      const mean = tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : null;
      const std = mean === null ? null : Math.sqrt(tail.reduce((a, b) => a + (b - mean) ** 2, 0) / (tail.length - 1));
      return { i, j, epsilon, nbeta, llc_final: mean, std_over_mean: mean === null || std === null ? null : std / mean, llc_over_nbeta: mean === null ? null : mean / nbeta, init_loss: init, diverged: divergences, trace };
    }),
  );
  const sweep: Sweep = {
    schema: SWEEP_SCHEMA_ID, schema_version: SWEEP_SCHEMA_VERSION, checkpoint_step: step, model, nbeta0, epsilons, nbetas,
    localization: s.localization, num_chains: s.num_chains, num_draws: s.num_draws, window, device: 'cpu', points,
  };
  writeStage(runDir, 'sweep', { sweep: s }, { ...sweepFiles, 'sweep.json': json(sweep), 'health.json': json(healthFile(sweepHealth)) });

  const c = config.calibration;
  const nbeta = c.nbeta === 'auto' ? nbeta0 : c.nbeta;
  const { losses } = synthChains(rng, c.num_chains, c.num_draws, init, init * 0.05, init * 0.03, []);
  const est = estimateLlc(losses, new Set(), init, nbeta);
  const calibration: Calibration = {
    schema: CALIBRATION_SCHEMA_ID, schema_version: CALIBRATION_SCHEMA_VERSION, checkpoint_step: step, model, lr: c.lr, nbeta, localization: c.localization,
    num_chains: c.num_chains, num_draws: c.num_draws, llc_mean: est.llcMean, llc_std: est.llcStd, llc_per_chain: est.llcPerChain, init_loss: init, diverged: [],
    trace: 'trace.safetensors', device: 'cpu',
  };
  writeStage(runDir, 'calibration', { calibration: c }, {
    'trace.safetensors': encodeSafetensors(traceTensors(est)),
    'calibration.json': json(calibration),
    'health.json': json(healthFile([health(`calibration step ${step}`, est, c.num_chains, c.num_draws, [], c.lr, weights)])),
  });
}
