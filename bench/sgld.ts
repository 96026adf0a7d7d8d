// SGLD chain-steps per second on this machine: the seed model (fixture weights, the
// training split, batch 256) with 1, 8 and 64 chains batched as the estimate stage batches
// them (at most SAMPLER_DEFAULTS.maxChains per session), at 1 and 2 onnxruntime intra-op
// threads, plus the PyTorch-exported ONNX model (one chain per session, as `pipeline llc`
// runs it). Times whole sampleChains calls, graph building and session creation included.
// devinterp 1.3.2 on the same kind of CPU: ≈ 20–25 chain-steps/s (FACTS.md).
//   node --import tsx bench/sgld.ts [--chains 1,8,64] [--threads 1,2] [--steps 40] [--device cpu|cuda]
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { decodeSafetensors, requireTensor } from '../stages/lib/safetensors.ts';
import { Pcg32 } from '../stages/lib/prng.ts';
import { SEED_MODEL_CONFIG } from '../stages/model/config.ts';
import { buildSeedModel } from '../stages/model/seed-model.ts';
import { readStateDict } from '../stages/model/state-dict.ts';
import { DataType } from '../stages/onnx/ir.ts';
import { readModelFile } from '../stages/onnx/io.ts';
import type { Device } from '../stages/onnx/ort.ts';
import { flatParameters, importOnnxModel, seedSgldModel, type SgldModel } from '../stages/sgld/model.ts';
import { sampleChains, SAMPLER_DEFAULTS, type Dataset } from '../stages/sgld/sampler.ts';
import { FIXTURE } from '../test/helpers/fixture.ts';

const { values } = parseArgs({
  options: { chains: { type: 'string', default: '1,8,64' }, threads: { type: 'string', default: '1,2' }, steps: { type: 'string', default: '40' }, device: { type: 'string', default: 'cpu' } },
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

async function chainStepsPerSecond(model: SgldModel, w0: Float32Array, chains: number, threads: number, steps: number): Promise<number> {
  const specs = Array.from({ length: chains }, (_, c) => ({ w0, lr: 1e-3, nbeta: 2, localization: 5, weightDecay: 0, noiseLevel: 1, rng: new Pcg32(0, c) }));
  const started = performance.now();
  await sampleChains(model, specs, data, { ...SAMPLER_DEFAULTS, device, threads, batchSize: 256, schedule: { burnin: 0, draws: steps, thin: 1 } });
  return (chains * steps) / ((performance.now() - started) / 1000);
}

const steps = Number(values.steps);
process.stdout.write(`SGLD chain-steps/s, onnxruntime ${ort.env.versions.common} ${device === 'cpu' ? `CPU (${cpus()[0]?.model ?? '?'})` : 'CUDA'}, ${steps} steps per chain, ${SAMPLER_DEFAULTS.stepsPerRun} per run, ≤ ${SAMPLER_DEFAULTS.maxChains} chains per session\n`);
process.stdout.write(`model                      chains  threads  chain-steps/s\n`);
for (const threads of list(values.threads)) {
  for (const chains of list(values.chains)) {
    const rate = await chainStepsPerSecond(seed, seedW0, chains, threads, steps);
    process.stdout.write(`seed model (chain axis)    ${String(chains).padStart(6)}  ${String(threads).padStart(7)}  ${rate.toFixed(1).padStart(13)}\n`);
  }
  const rate = await chainStepsPerSecond(imported.model, imported.w0, 1, threads, steps);
  process.stdout.write(`fixture model.onnx         ${'1'.padStart(6)}  ${String(threads).padStart(7)}  ${rate.toFixed(1).padStart(13)}\n`);
}
