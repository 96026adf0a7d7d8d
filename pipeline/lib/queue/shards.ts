// A stage's work as shards, with every input named by the sha256 of its bytes (blobs.ts)
// and the code version that must run it. A sampling stage: one shard for the init losses,
// then one per onnxruntime session of runLlc (sgld/estimate-llc.ts), holding the same chains
// as that session would in-process; a chain's randomness is its own PCG32 stream, and a
// session given the same chains computes the same bits on any worker, so merging the shards
// in order gives runLlc's result exactly. The train stage: one shard per seed.
import { z } from 'zod';
import type { ChainRun } from '../sgld/sessions.ts';
import type { SeedRunResult } from '../../../stages/train/train-seed.ts';
import type { Device } from '../onnx/ort.ts';
import { sha256 } from '../util/hash.ts';

const PointRef = z.object({
  /** sha256 of the starting weights and of the mask (raw float32). */
  w0: z.string(),
  mask: z.string().optional(),
  /** With the settings' seed and the chain index, names the chain's random streams. */
  key: z.number().int(),
  trainSeed: z.number().int().optional(),
  lr: z.number().optional(),
  nbeta: z.number().optional(),
});
export type PointRef = z.infer<typeof PointRef>;

export const Shard = z.object({
  /** The code version of the head that planned it (versions.ts: sampling or training). */
  version: z.string(),
  /** Stable within a stage: "init", then "s0000", "s0001", … in chain order. */
  id: z.string(),
  /** sha256 of the seed model's config (JSON) and of the training data (safetensors x, y). */
  model: z.string(),
  data: z.string(),
  /** The sampler settings (sgld/estimate-llc.ts LlcSettings); empty for a train shard, whose task holds its config. */
  settings: z.record(z.unknown()),
  /** The init losses of every starting point, or one session group of chains. */
  task: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('init'), points: z.array(PointRef) }),
    z.object({ kind: z.literal('chains'), chains: z.array(PointRef.extend({ chain: z.number().int() })) }),
    // One training seed: the train config slice, the test split's hash, and the stage's input
    // hashes (part of a seed's resume fingerprint, which its optimizer file records).
    z.object({ kind: z.literal('train'), seed: z.number().int().min(0), config: z.record(z.unknown()), test: z.string(), inputs: z.string() }),
  ]),
});
export type Shard = z.infer<typeof Shard>;

export interface ShardResult {
  device: Device;
  /** host:pid of the worker that ran it (for the manifest's runtime section). */
  worker: string;
  /** An init shard's losses, one per starting point. */
  initLosses?: number[];
  /** A chains shard's runs, in its chain order. */
  runs?: ChainRun[];
  /** A train shard's files (its seed-<s>/ folder) and what its run reports. */
  files?: Record<string, Uint8Array>;
  training?: SeedRunResult;
}

export const INIT_SHARD = 'init';

export function chainsShardId(index: number): string {
  return `s${String(index).padStart(4, '0')}`;
}

export const trainShardId = (seed: number) => `train-seed-${seed}`;

/** The job id: the shard id and a digest of everything in it, so the same shard enqueued
 * twice (a head restarted mid-stage) is one job, and a changed one is a new job. */
export function jobId(shard: Shard): string {
  return `${shard.id}-${sha256(JSON.stringify(shard)).slice(0, 24)}`;
}
