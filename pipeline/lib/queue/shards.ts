// A sampling stage's work as shards, with every input named by the sha256 of its bytes
// (blobs.ts) and the code version that must run it: one shard for the init losses, then one
// per onnxruntime session of runLlc (sgld/estimate-llc.ts), holding the same chains as that
// session would in-process. The train stage's shards are its seeds, one each. A chain's randomness is its own PCG32 stream, and a session
// given the same chains computes the same bits on any worker, so merging the shards in
// order gives runLlc's result exactly.
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ChainRun } from '../sgld/sessions.ts';
import type { SeedRunResult } from '../../../stages/train/train-seed.ts';
import { DIAGNOSTICS, type Diagnostic } from '../sgld/update.ts';
import type { Device } from '../onnx/ort.ts';
import { codeFingerprint } from '../stage/code-fingerprint.ts';
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
  /** The code version (codeVersion) of the head that planned it. */
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

/** What a worker must run exactly as the head would: the code of the sampling and training
 * modules (shard-runner.ts and all it imports), the lockfile, package versions and Node. */
export function codeVersion(): string {
  return sha256(JSON.stringify(codeFingerprint(fileURLToPath(new URL('./shard-runner.ts', import.meta.url))))).slice(0, 16);
}

// Results travel as JSON: float32 arrays as base64 of their bytes, so NaN and every bit survive.
const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const f32 = (s: string) => {
  const bytes = Buffer.from(s, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

export interface EncodedResult {
  device: Device;
  worker: string;
  initLosses?: number[];
  runs?: { losses: string; diagnostics: Record<string, string>; divergence?: ChainRun['divergence'] }[];
  files?: Record<string, string>;
  training?: SeedRunResult;
}

export function encodeResult({ runs, files, ...rest }: ShardResult): EncodedResult {
  if (files) return { ...rest, files: Object.fromEntries(Object.entries(files).map(([f, b]) => [f, Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')])) };
  if (!runs) return rest;
  return {
    ...rest,
    runs: runs.map((run) => ({
      losses: b64(run.losses),
      diagnostics: Object.fromEntries(DIAGNOSTICS.map((d) => [d, b64(run.diagnostics[d])])),
      ...(run.divergence ? { divergence: run.divergence } : {}),
    })),
  };
}

export function decodeResult({ runs, files, ...rest }: EncodedResult): ShardResult {
  if (files) return { ...rest, files: Object.fromEntries(Object.entries(files).map(([f, text]) => [f, new Uint8Array(Buffer.from(text, 'base64'))])) };
  if (!runs) return rest;
  return {
    ...rest,
    runs: runs.map((run) => ({
      losses: f32(run.losses),
      diagnostics: Object.fromEntries(DIAGNOSTICS.map((d) => [d, f32(run.diagnostics[d]!)])) as Record<Diagnostic, Float32Array>,
      ...(run.divergence ? { divergence: run.divergence } : {}),
    })),
  };
}
