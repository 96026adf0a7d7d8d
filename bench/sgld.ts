// SGLD chain-steps per second on this machine: the seed model (fixture weights, the
// training split, batch 256) with 1, 8 and 64 chains batched as the estimate stage batches
// them (at most SAMPLER_DEFAULTS.maxChains per session), at 1 and 2 onnxruntime intra-op
// threads, plus the PyTorch-exported ONNX model (one chain per session, as `pipeline llc`
// runs it). Two rates: over the whole sampleChains call (graph building, session creation
// and the first run's warm-up included) and after the first session.run (steady sampling).
//   node --import tsx bench/sgld.ts [--chains 1,8,64] [--threads 1,2] [--steps 100] [--device cpu|cuda]
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { decodeSafetensors, requireTensor } from '../pipeline/lib/util/safetensors.ts';
import { Pcg32 } from '../pipeline/lib/util/prng.ts';
import { SEED_MODEL_CONFIG } from '../pipeline/lib/model/config.ts';
import { buildSeedModel } from '../pipeline/lib/model/seed-model.ts';
import { readStateDict } from '../pipeline/lib/model/state-dict.ts';
import { DataType } from '../pipeline/lib/onnx/ir.ts';
import { readModelFile } from '../pipeline/lib/onnx/io.ts';
import type { Device } from '../pipeline/lib/onnx/ort.ts';
import { flatParameters, importOnnxModel, seedSgldModel, type SgldModel } from '../pipeline/lib/sgld/sampled-model.ts';
import { sampleChains, SAMPLER_DEFAULTS, type Dataset } from '../pipeline/lib/sgld/sessions.ts';
import { FIXTURE } from '../test/helpers/fixture.ts';

const { values } = parseArgs({
  options: { chains: { type: 'string', default: '1,8,64' }, threads: { type: 'string', default: '1,2' }, steps: { type: 'string', default: '100' }, device: { type: 'string', default: 'cpu' } },
});
if (values.device !== 'cpu' && values.device !== 'cuda') throw new Error(`--device ${values.device}: expected cpu or cuda`);
const device: Device = values.device;
const list = (s: string) => s.split(',').map(Number);

const source = `${FIXTURE}/train.safetensors`;
const { tensors } = decodeSafetensors(readFileSync(source), source);
const x = requireTensor(tensors, 'x', source, 'I64');
const y = requireTensor(tensors, 'y', source, 'F32');
const data: Dataset = { x: { dataType: DataType.INT64, dims: x.shape, data: x.data }, y: { dataType: DataType.FLOAT, dims: y.shape, data: y.data } };

const cfg = SEED_MODEL_CONFIG;
const seed = seedSgldModel(cfg);
const seedW0 = flatParameters(buildSeedModel(cfg, { training: false, weights: readStateDict(`${FIXTURE}/weights.safetensors`, seed.params).weights }), seed.params, 'fixture weights');
const imported = importOnnxModel(readModelFile(`${FIXTURE}/model.onnx`), `${FIXTURE}/model.onnx`);

interface Rate {
  /** Chain-steps per second over the whole call: graph building, sessions and warm-up included. */
  whole: number;
  /** After the first session.run: the sampling rate of a long run (devinterp's figure is one). */
  steady: number;
}

async function chainStepsPerSecond(model: SgldModel, w0: Float32Array, chains: number, threads: number, steps: number): Promise<Rate> {
  const specs = Array.from({ length: chains }, (_, c) => ({ w0, lr: 1e-3, nbeta: 2, localization: 5, weightDecay: 0, noiseLevel: 1, rng: new Pcg32(0, c) }));
  const started = performance.now();
  let first: { at: number; done: number } | undefined;
  let done = 0;
  const onProgress = (n: number) => {
    done += n;
    first ??= { at: performance.now(), done };
  };
  await sampleChains(model, specs, data, { ...SAMPLER_DEFAULTS, device, threads, batchSize: 256, schedule: { burnin: 0, draws: steps, thin: 1 }, onProgress });
  const ended = performance.now();
  return { whole: (chains * steps) / ((ended - started) / 1000), steady: (done - first!.done) / ((ended - first!.at) / 1000) };
}

const steps = Number(values.steps);
const row = (label: string, chains: number, threads: number, r: Rate) =>
  process.stdout.write(`${label.padEnd(27)}${String(chains).padStart(6)}  ${String(threads).padStart(7)}  ${r.whole.toFixed(1).padStart(13)}  ${r.steady.toFixed(1).padStart(13)}\n`);
process.stdout.write(`SGLD chain-steps/s, onnxruntime ${ort.env.versions.common} ${device === 'cpu' ? `CPU (${cpus()[0]?.model ?? '?'})` : 'CUDA'}, ${steps} steps per chain, ${SAMPLER_DEFAULTS.stepsPerRun} per run, ≤ ${SAMPLER_DEFAULTS.maxChains} chains per session\n`);
process.stdout.write(`devinterp 1.3.2 (PyTorch 2.13 CPU build), measured side by side on this kind of 2-core CPU: 31–32 chain-steps/s with 1 thread, 36 with 2\n`);
process.stdout.write(`model                      chains  threads  whole call/s  after 1st run/s\n`);
for (const threads of list(values.threads)) {
  for (const chains of list(values.chains)) row('seed model (chain axis)', chains, threads, await chainStepsPerSecond(seed, seedW0, chains, threads, steps));
  row('fixture model.onnx', 1, threads, await chainStepsPerSecond(imported.model, imported.w0, 1, threads, steps));
}
