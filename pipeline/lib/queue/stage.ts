// A sampling stage run through the queue (sgld/sampling-stage.ts calls this when
// $PIPELINE_QUEUE is set): the results, the workers' device, and the queue's facts for the
// manifest's runtime section — which workers ran it is not part of the artifacts.
import type { Device } from '../onnx/ort.ts';
import type { DeviceChoice } from '../sgld/device.ts';
import type { LlcResult, LlcSettings, StartPoint } from '../sgld/estimate-llc.ts';
import type { SgldModel } from '../sgld/sampled-model.ts';
import type { Dataset } from '../sgld/sessions.ts';
import type { StageContext } from '../stage/context.ts';
import { parseQueueUrl, QUEUE_ENV } from './connection.ts';
import { runLlcOnQueue } from './head.ts';

export async function sampleOnQueue(
  ctx: StageContext,
  url: string,
  model: SgldModel,
  points: readonly StartPoint[],
  data: Dataset,
  settings: LlcSettings,
  deviceChoice: DeviceChoice,
  onProgress: (chainSteps: number) => void,
): Promise<{ device: Device; reason: string; results: LlcResult[] }> {
  let address;
  try {
    address = parseQueueUrl(url);
  } catch (e) {
    throw new Error(`${QUEUE_ENV}: ${(e as Error).message}`);
  }
  ctx.log(`sampling through the queue at ${address.url}: ${points.length} × ${settings.num_chains} chains`);
  const q = await runLlcOnQueue(address, model, points, data, settings, onProgress, (m) => ctx.log(m));
  if (deviceChoice !== 'auto' && q.device !== deviceChoice) throw new Error(`estimate.device is ${deviceChoice} but the workers ran on ${q.device}; start the workers with --device ${deviceChoice}`);
  ctx.runtime.queue = address.url;
  ctx.runtime.queue_shards = q.shards;
  ctx.runtime.queue_workers = q.workers;
  ctx.log(`${q.shards} shards from ${q.workers.length} worker${q.workers.length === 1 ? '' : 's'} (${q.workers.join(', ')})`);
  return { device: q.device, reason: `the queue's workers ran on ${q.device}`, results: q.results };
}
