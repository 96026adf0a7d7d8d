// What a worker does with one sampling shard: fetch its inputs by hash, rebuild the seed
// model, and run the shard's part of runLlc (sgld/estimate-llc.ts) as runLlc itself would.
// Its module graph is the sampling code version (versions.ts), so everything that shapes the
// numbers is imported from here.
import { checkModelConfig, type SeedModelConfig } from '../model/config.ts';
import type { Device } from '../onnx/ort.ts';
import { chainSpec, pointInitLosses, samplerOptions, type LlcSettings, type StartPoint } from '../sgld/estimate-llc.ts';
import { seedSgldModel } from '../sgld/sampled-model.ts';
import { SAMPLER_DEFAULTS, sampleChains } from '../sgld/sessions.ts';
import { datasetOf, float32Of, type BlobSource } from './blobs.ts';
import type { PointRef, Shard, ShardResult } from './shards.ts';

/** `onProgress` hears the chain-steps as they are done. */
export async function runShard(shard: Shard, blobs: BlobSource, device: Device, worker: string, onProgress: (units: number) => void): Promise<ShardResult> {
  const cfg = JSON.parse((await blobs.get(shard.model)).toString('utf8')) as SeedModelConfig;
  checkModelConfig(cfg);
  if (shard.task.kind === 'train') throw new Error(`shard ${shard.id} is a training shard`);
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
