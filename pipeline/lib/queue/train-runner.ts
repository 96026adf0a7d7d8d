// What a worker does with one training shard: fetch the data by hash and train the seed as
// the train stage would (stages/train/train-seed.ts), on this worker's device, its files kept
// in memory and sent back. Its module graph is the training code version (versions.ts).
import { TrainConfig } from '../../../schemas/config.ts';
import { trainSeed, type SeedFiles } from '../../../stages/train/train-seed.ts';
import { checkModelConfig, type SeedModelConfig } from '../model/config.ts';
import type { Device } from '../onnx/ort.ts';
import { splitOf, type BlobCache } from './blobs.ts';
import type { Shard, ShardResult } from './shards.ts';

/** `onProgress` hears the training steps as they are done. */
export async function runTrainShard(shard: Shard, blobs: BlobCache, device: Device, worker: string, onProgress: (steps: number) => void): Promise<ShardResult> {
  const task = shard.task;
  if (task.kind !== 'train') throw new Error(`shard ${shard.id} is not a training shard`);
  const cfg = JSON.parse((await blobs.get(shard.model)).toString('utf8')) as SeedModelConfig;
  checkModelConfig(cfg);
  const config = TrainConfig.parse(task.config);
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
    train: splitOf(await blobs.get(shard.data)),
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
  return { device, worker, files: Object.fromEntries(files), training };
}
