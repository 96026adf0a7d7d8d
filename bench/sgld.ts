// SGLD chain-steps per second on this machine: the seed model (fixture weights, the
// training split, batch 256) with 1, 8 and 64 chains batched as the estimate stage batches
// them (at most SAMPLER_DEFAULTS.maxChains per session), at 1 and 2 onnxruntime intra-op
// threads; in N processes of one thread each as the sampling stages run them on N cores
// (queue/processes.ts: N sessions of maxChains chains); the PyTorch-exported fixture model (one chain
// per session, as `pipeline llc` runs it); and devinterp 1.3.2 on the same workload when
// --devinterp-src (or $DEVINTERP_SRC) names its src/ folder, measured in the same run. Two
// rates: over the whole call (graph building, sessions, processes and the first run's warm-up
// included) and after the first session.run (steady sampling). --profile adds onnxruntime's
// per-op profile of the 8-chain seed-model step.
//   node --import tsx bench/sgld.ts [--chains 1,8,64] [--threads 1,2] [--processes 2] [--steps 100]
//     [--device cpu|cuda] [--profile] [--devinterp-src DIR] [--python PATH]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import * as ort from 'onnxruntime-node';
import { decodeSafetensors, requireTensor } from '../pipeline/lib/util/safetensors.ts';
import { Pcg32 } from '../pipeline/lib/util/prng.ts';
import { SEED_MODEL_CONFIG } from '../pipeline/lib/model/config.ts';
import { buildSeedModel } from '../pipeline/lib/model/seed-model.ts';
import { readStateDict } from '../pipeline/lib/model/state-dict.ts';
import { DataType } from '../pipeline/lib/onnx/ir.ts';
import { readModelFile } from '../pipeline/lib/onnx/io.ts';
import type { Device } from '../pipeline/lib/onnx/ort.ts';
import { runLlcOnProcesses } from '../pipeline/lib/queue/processes.ts';
import type { LlcSettings } from '../pipeline/lib/sgld/estimate-llc.ts';
import { flatParameters, importOnnxModel, seedSgldModel, type SgldModel } from '../pipeline/lib/sgld/sampled-model.ts';
import { sampleChains, SAMPLER_DEFAULTS, type Dataset } from '../pipeline/lib/sgld/sessions.ts';
import { FIXTURE } from '../test/helpers/fixture.ts';
import { opTimes } from './profile.ts';

const { values } = parseArgs({
  options: {
    chains: { type: 'string', default: '1,8,64' },
    threads: { type: 'string', default: '1,2' },
    processes: { type: 'string', default: '2' },
    steps: { type: 'string', default: '100' },
    device: { type: 'string', default: 'cpu' },
    profile: { type: 'boolean', default: false },
    'devinterp-src': { type: 'string', default: process.env.DEVINTERP_SRC },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
if (values.device !== 'cpu' && values.device !== 'cuda') throw new Error(`--device ${values.device}: expected cpu or cuda`);
const device: Device = values.device;
const list = (s: string) => (s === '' ? [] : s.split(',').map(Number));

const source = `${FIXTURE}/train.safetensors`;
const { tensors } = decodeSafetensors(readFileSync(source), source);
const x = requireTensor(tensors, 'x', source, 'I64');
const y = requireTensor(tensors, 'y', source, 'F32');
const data: Dataset = { x: { dataType: DataType.INT64, dims: x.shape, data: x.data }, y: { dataType: DataType.FLOAT, dims: y.shape, data: y.data } };

const cfg = SEED_MODEL_CONFIG;
const seed = seedSgldModel(cfg);
const seedW0 = flatParameters(buildSeedModel(cfg, { training: false, weights: readStateDict(`${FIXTURE}/weights.safetensors`, seed.params).weights }), seed.params, 'fixture weights');
const imported = importOnnxModel(readModelFile(`${FIXTURE}/model.onnx`), `${FIXTURE}/model.onnx`);
const HYPER = { lr: 1e-3, nbeta: 2, localization: 5 };

interface Rate {
  /** Chain-steps per second over the whole call: graph building, sessions and warm-up included. */
  whole: number;
  /** After the first progress report: the sampling rate of a long run (devinterp's figure is one). */
  steady?: number;
}

/** Times `work`, which reports its chain-steps as it goes; `total` of them in all. */
async function timed(total: number, work: (onProgress: (n: number) => void) => Promise<unknown>): Promise<Rate> {
  const started = performance.now();
  let first: { at: number; done: number } | undefined;
  let done = 0;
  await work((n) => {
    done += n;
    first ??= { at: performance.now(), done };
  });
  const ended = performance.now();
  return { whole: total / ((ended - started) / 1000), steady: (done - first!.done) / ((ended - first!.at) / 1000) };
}

function chainStepsPerSecond(model: SgldModel, w0: Float32Array, chains: number, threads: number, steps: number, profile?: string): Promise<Rate> {
  const specs = Array.from({ length: chains }, (_, c) => ({ w0, ...HYPER, weightDecay: 0, noiseLevel: 1, rng: new Pcg32(0, c) }));
  return timed(chains * steps, (onProgress) =>
    sampleChains(model, specs, data, { ...SAMPLER_DEFAULTS, device, threads, batchSize: 256, schedule: { burnin: 0, draws: steps, thin: 1 }, onProgress, ...(profile ? { profile } : {}) }),
  );
}

/** The sampling stages' way on N cores: N sessions of maxChains chains, one per process.
 * Reported over the whole call only (its first progress report comes after a run of 16
 * chains, too coarse to start a steady window on), so with 3× the steps, which spreads the
 * processes' start (~1 s) over a run of a realistic length. */
async function processesRate(processes: number, steps: number): Promise<Rate> {
  const settings: LlcSettings = { ...HYPER, weight_decay: 0, noise_level: 1, num_chains: SAMPLER_DEFAULTS.maxChains, num_draws: steps, num_burnin_steps: 0, num_steps_bw_draws: 1, batch_size: 256, seed: 0, sampler: 'sgld', init_loss: 'full' };
  const points = Array.from({ length: processes }, (_, key) => ({ w0: seedW0, key }));
  const { whole } = await timed(processes * settings.num_chains * steps, (onProgress) => runLlcOnProcesses(seed, points, data, settings, processes, device, onProgress));
  return { whole };
}

async function devinterpRate(threads: number, cores: number, steps: number): Promise<number> {
  const script = fileURLToPath(new URL('./devinterp/devinterp_llc.py', import.meta.url));
  const r = await execa(values.python, ['-W', 'ignore', script, 'speed', 'seed', String(threads), String(cores), String(steps)], { env: { PYTHONPATH: values['devinterp-src']! } });
  return (JSON.parse(String(r.stdout).trim().split('\n').at(-1)!) as { chain_steps_per_s: number }).chain_steps_per_s;
}

const steps = Number(values.steps);
const out = (line: string) => process.stdout.write(line + '\n');
const row = (label: string, chains: number, cores: string, r: Rate) =>
  out(`${label.padEnd(34)}${String(chains).padStart(6)}  ${cores.padStart(14)}  ${r.whole.toFixed(1).padStart(12)}  ${r.steady === undefined ? '' : r.steady.toFixed(1).padStart(15)}`);
out(`SGLD chain-steps/s, onnxruntime ${ort.env.versions.common} ${device === 'cpu' ? `CPU (${cpus().length} × ${cpus()[0]?.model ?? '?'})` : 'CUDA'}, ${steps} steps per chain, ${SAMPLER_DEFAULTS.stepsPerRun} per run, ≤ ${SAMPLER_DEFAULTS.maxChains} chains per session`);
out(`${'model'.padEnd(34)}${'chains'.padStart(6)}  ${'cores'.padStart(14)}  ${'whole call/s'.padStart(12)}  ${'after 1st run/s'.padStart(15)}`);
const best: Record<number, number> = {};
const note = (cores: number, r: Rate): Rate => {
  best[cores] = Math.max(best[cores] ?? 0, r.steady ?? r.whole);
  return r;
};
for (const threads of list(values.threads)) {
  for (const chains of list(values.chains)) row('seed model (chain axis)', chains, `1, ${threads} thr`, note(threads, await chainStepsPerSecond(seed, seedW0, chains, threads, steps)));
  row('fixture model.onnx', 1, `1, ${threads} thr`, await chainStepsPerSecond(imported.model, imported.w0, 1, threads, steps));
}
if (device === 'cpu') {
  for (const processes of list(values.processes)) row(`seed model, ${processes} processes`, processes * SAMPLER_DEFAULTS.maxChains, `${processes} × 1 thr`, note(processes, await processesRate(processes, 3 * steps)));
}
if (values['devinterp-src']) {
  const theirs: Record<number, number> = {};
  for (const [threads, cores] of [[1, 1], [2, 1], [1, 2]] as const) {
    const rate = await devinterpRate(threads, cores, steps);
    theirs[threads * cores] = Math.max(theirs[threads * cores] ?? 0, rate);
    row(`devinterp 1.3.2${cores > 1 ? `, cores=${cores}` : ''}`, 2 * cores, `${cores} × ${threads} thr`, { whole: rate });
  }
  for (const n of [1, 2]) if (best[n] && theirs[n]) out(`on ${n} core${n > 1 ? 's' : ''}: ours ${best[n]!.toFixed(1)} against devinterp's ${theirs[n]!.toFixed(1)} chain-steps/s: ${(best[n]! / theirs[n]!).toFixed(2)}×`);
} else out('devinterp: not measured (name its src/ folder with --devinterp-src or $DEVINTERP_SRC; needs Debian\'s python3-torch)');

if (values.profile) {
  const dir = mkdtempSync(join(tmpdir(), 'llc-profile-'));
  try {
    const chains = 8;
    await chainStepsPerSecond(seed, seedW0, chains, 1, steps, join(dir, 'sgld'));
    const file = readdirSync(dir).find((f) => f.endsWith('.json'))!;
    const { ops, loopMsPerChainStep } = opTimes(join(dir, file), steps, chains);
    out(`\nprofile: the seed model's step, ${chains} chains, 1 thread (onnxruntime's profiler, which slows it a little): ${loopMsPerChainStep.toFixed(2)} ms per chain-step in the step Loop`);
    out(`${'op'.padEnd(16)}${'ms/chain-step'.padStart(14)}${'share'.padStart(8)}${'calls/step'.padStart(12)}`);
    for (const o of ops.filter((o) => o.msPerChainStep >= 0.01)) out(`${o.op.padEnd(16)}${o.msPerChainStep.toFixed(3).padStart(14)}${`${((100 * o.msPerChainStep) / loopMsPerChainStep).toFixed(1)} %`.padStart(8)}${o.callsPerStep.toFixed(0).padStart(12)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
