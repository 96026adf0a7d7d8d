// Shard results as they travel back to the head (BullMQ keeps them as JSON): float32 arrays
// as base64 of their bytes, so NaN and every bit survive, and a training shard's files as
// file-results.ts writes them. The sampling head decodes chain runs here; the training head
// needs only file-results.ts, so that its stage's code takes in no sampler module.
import type { SeedRunResult } from '../../../stages/train/train-seed.ts';
import type { Device } from '../onnx/ort.ts';
import type { ChainRun } from '../sgld/sessions.ts';
import { DIAGNOSTICS, type Diagnostic } from '../sgld/update.ts';
import { base64Of, float32Bytes, float32Of } from './blobs.ts';
import { encodeFiles, type EncodedFiles } from './file-results.ts';
import type { ShardResult } from './shards.ts';

const b64 = (a: Float32Array) => base64Of(float32Bytes(a));
const f32 = (s: string) => float32Of(Buffer.from(s, 'base64'));

export interface EncodedResult {
  device: Device;
  worker: string;
  initLosses?: number[];
  runs?: { losses: string; diagnostics: Record<string, string>; divergence?: ChainRun['divergence'] }[];
  files?: EncodedFiles;
  training?: SeedRunResult;
}

export function encodeResult({ runs, files, ...rest }: ShardResult): EncodedResult {
  if (files) return { ...rest, files: encodeFiles(files) };
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

/** A sampling shard's result. */
export function decodeSampling({ runs, files: _none, ...rest }: EncodedResult): ShardResult {
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
