// What a worker does with one shard: fetch its inputs by hash, rebuild the seed model, and
// run the shard's part of runLlc (sgld/estimate-llc.ts) as runLlc itself would — or train one
// seed as the train stage would (stages/train/train-seed.ts), its files kept in memory and
// sent back. Its module graph is the code version a shard names (shards.ts codeVersion), so
// everything that shapes the numbers is imported from here.
import { TrainConfig } from '../../../schemas/config.ts';
import { trainSeed, type SeedFiles } from '../../../stages/train/train-seed.ts';
import { checkModelConfig, type SeedModelConfig } from '../model/config.ts';
import type { Device } from '../onnx/ort.ts';
import { chainSpec, pointInitLosses, samplerOptions, type LlcSettings, type StartPoint } from '../sgld/estimate-llc.ts';
import { seedSgldModel } from '../sgld/sampled-model.ts';
import { SAMPLER_DEFAULTS, sampleChains } from '../sgld/sessions.ts';
import { datasetOf, float32Of, splitOf, type BlobCache } from './blobs.ts';
import type { PointRef, Shard, ShardResult } from './shards.ts';

/** `onProgress` hears chain-steps (sampling) or training steps (a seed) as they are done. */
export async function runShard(shard: Shard, blobs: BlobCache, device: Device, worker: string, onProgress: (units: number) => void): Promise<ShardResult> {
  const cfg = JSON.parse((await blobs.get(shard.model)).toString('utf8')) as SeedModelConfig;
  checkModelConfig(cfg);
  if (shard.task.kind === 'train') return { device, worker, ...(await trainShard(shard.task, cfg, shard.data, blobs, device, onProgress)) };
  const model = seedSgldModel(cfg);
  const data = datasetOf(await blobs.get(shard.data));
  const s = shard.settings as LlcSettings;
  const opts = { ...SAMPLER_DEFAULTS, device, onProgress };
  const point = async (p: PointRef): Promise<StartPoint> => ({
    w0: float32Of(await blobs.get(p.w0)),
    key: p.key,
    ...(p.trainSeed !== undefined ? { trainSeed: p.trainSeed } : {}),
    ...(p.mask ? { mask: float32Of(await blobs.get(p.mask)) } : {}),
    ...(p.lr !== undefined ? { lr: p.lr } : {}),
    ...(p.nbeta !== undefined ? { nbeta: p.nbeta } : {}),
  });
  if (shard.task.kind === 'init') {
    const points = await Promise.all(shard.task.points.map(point));
    return { device, worker, initLosses: await pointInitLosses(model, points, data, s, opts) };
  }
  const specs = await Promise.all(shard.task.chains.map(async (c) => chainSpec(await point(c), s, c.chain)));
  // At most maxChains chains: one session, as in-process.
  return { device, worker, runs: await sampleChains(model, specs, data, samplerOptions(s, opts)) };
}

/** One seed trained here, on this worker's device, from its initial weights. */
async function trainShard(task: Extract<Shard['task'], { kind: 'train' }>, cfg: SeedModelConfig, data: string, blobs: BlobCache, device: Device, onProgress: (steps: number) => void): Promise<Pick<ShardResult, 'files' | 'training'>> {
  const config = TrainConfig.parse(task.config);
  // The head's engine choice, on this worker's device.
  if (config.device !== 'auto' && config.device !== device) throw new Error(`train.device is ${config.device} but this worker runs on ${device}; start the workers with --device ${config.device}`);
  const files = new Map<string, Uint8Array>();
  const store: SeedFiles = {
    read: (file) => files.get(file),
    write: (file, bytes) => files.set(file, typeof bytes === 'string' ? Buffer.from(bytes) : bytes),
    remove: (prefix) => [...files.keys()].filter((f) => f === prefix || f.startsWith(`${prefix}/`)).forEach((f) => files.delete(f)),
  };
  let reported = 0;
  const training = await trainSeed({
    config,
    device,
    cfg,
    train: splitOf(await blobs.get(data)),
    test: splitOf(await blobs.get(task.test)),
    inputs: JSON.parse(task.inputs),
    seed: task.seed,
    files: store,
    log: () => {},
    progress: (step) => {
      onProgress(step - reported);
      reported = step;
    },
  });
  return { files: Object.fromEntries(files), training };
}
