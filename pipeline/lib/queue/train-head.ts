// The head node's side of the train stage on the queue: one shard per seed (jobs.ts runs
// them); each comes back as the seed's folder and what its run reports. Only training
// modules are imported here, so the train stage's code fingerprint takes in no sampler.
import type { Config } from '../../../schemas/config.ts';
import type { SplitTensors } from '../../../schemas/dataset.ts';
import type { SeedRunResult } from '../../../stages/train/train-seed.ts';
import type { SeedModelConfig } from '../model/config.ts';
import type { Device } from '../onnx/ort.ts';
import { splitBytes } from './blobs.ts';
import type { QueueAddress } from './connection.ts';
import { decodeFiles, type EncodedFiles } from './file-results.ts';
import { runShards } from './jobs.ts';
import { jobId, trainShardId, type Shard, type ShardResult } from './shards.ts';
import { trainingVersion } from './training-version.ts';

export interface QueuedTraining {
  /** Per seed, in train.seeds order: the files of its folder and what the run reports. */
  seeds: { files: Record<string, Uint8Array>; result: SeedRunResult }[];
  device: Device;
  workers: string[];
}

/** The train stage's seeds as one shard each; every shard's steps count as its progress. */
export async function trainOnQueue(
  address: QueueAddress,
  cfg: SeedModelConfig,
  config: Config['train'],
  train: SplitTensors,
  test: SplitTensors,
  inputs: unknown,
  onProgress: (steps: number) => void,
  log: (message: string) => void,
): Promise<QueuedTraining> {
  const version = trainingVersion();
  const plan = async (put: (bytes: Uint8Array) => Promise<string>): Promise<Shard[]> => {
    const common = { version, model: await put(Buffer.from(JSON.stringify(cfg))), data: await put(splitBytes(train)), settings: {} };
    const testSplit = await put(splitBytes(test));
    return config.seeds.map((seed): Shard => ({ ...common, id: trainShardId(seed), task: { kind: 'train', seed, config, test: testSplit, inputs: JSON.stringify(inputs) } }));
  };
  const decode = ({ files, ...rest }: Omit<ShardResult, 'files'> & { files: EncodedFiles }): ShardResult => ({ ...rest, files: decodeFiles(files) });
  const { shards, done } = await runShards(address, version, plan, () => config.steps, decode, onProgress, log);
  const byShard = shards.map((shard) => done.get(jobId(shard))!);
  const devices = [...new Set(byShard.map((r) => r.device))];
  if (devices.length > 1) throw new Error(`the seeds trained on ${devices.join(' and ')}: runs round differently per device; run every worker with the same --device`);
  return { seeds: byShard.map((r) => ({ files: r.files!, result: r.training! })), device: devices[0]!, workers: [...new Set(byShard.map((r) => r.worker))].sort() };
}
