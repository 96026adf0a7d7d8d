// The head node's side of a sampling stage: its starting points become shards (plan.ts) on
// the queue (jobs.ts runs them), and once every shard is in they are merged in shard order
// into the results runLlc would have given in-process.
import type { Device } from '../onnx/ort.ts';
import { scheduleOf, type LlcResult, type LlcSettings, type StartPoint } from '../sgld/estimate-llc.ts';
import { checkSchedule } from '../sgld/draw-schedule.ts';
import type { SgldModel } from '../sgld/sampled-model.ts';
import type { Dataset } from '../sgld/sessions.ts';
import type { QueueAddress } from './connection.ts';
import { runShards } from './jobs.ts';
import { mergeSampling, planSamplingShards, samplingUnits } from './plan.ts';
import { decodeSampling } from './results.ts';
import { samplingVersion } from './sampling-version.ts';
import { jobId } from './shards.ts';

export interface QueuedSampling {
  results: LlcResult[];
  device: Device;
  shards: number;
  /** host:pid of every worker that delivered a shard. */
  workers: string[];
}

export async function runLlcOnQueue(
  address: QueueAddress,
  model: SgldModel,
  points: readonly StartPoint[],
  data: Dataset,
  s: LlcSettings,
  onProgress: (chainSteps: number) => void,
  log: (message: string) => void,
): Promise<QueuedSampling> {
  if (!model.seedConfig) throw new Error('only the seed transformer can be sampled through the queue');
  checkSchedule(scheduleOf(s));
  const version = samplingVersion();
  const { shards, done } = await runShards(address, version, (put) => planSamplingShards(version, model, points, data, s, put), samplingUnits(s), decodeSampling, onProgress, log);
  return { ...mergeSampling(points, shards.map((shard) => done.get(jobId(shard))!), s), shards: shards.length };
}
