// The model's weights as a PyTorch-style state_dict in safetensors: one F32 tensor per
// parameter, PyTorch's names and shapes. Checkpoints are written this way and a notebook's
// `safetensors.torch.save_file(model.state_dict(), …)` can be read back.
import { readFileSync } from 'node:fs';
import { decodeSafetensors, encodeSafetensors, type SafeTensors } from '../util/safetensors.ts';
import type { ParamSpec } from './config.ts';

export type Weights = Record<string, Float32Array>;

export function encodeStateDict(params: readonly ParamSpec[], weights: Weights, metadata?: Record<string, string>): Uint8Array {
  const tensors: SafeTensors = {};
  for (const p of params) {
    const data = weights[p.name];
    if (!data) throw new Error(`state_dict: no values for parameter "${p.name}"`);
    tensors[p.name] = { dtype: 'F32', shape: p.shape, data };
  }
  return encodeSafetensors(tensors, metadata);
}

/** Checks that `tensors` hold exactly `params` (names, shapes, float32) and returns them. */
export function weightsFromTensors(tensors: SafeTensors, params: readonly ParamSpec[], source: string): Weights {
  const expected = new Set(params.map((p) => p.name));
  const extra = Object.keys(tensors).filter((n) => !expected.has(n));
  const missing = params.filter((p) => !(p.name in tensors)).map((p) => p.name);
  if (missing.length || extra.length) {
    throw new Error(`${source}: not a state_dict of this model (${[missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `unexpected ${extra.join(', ')}` : ''].filter(Boolean).join('; ')})`);
  }
  const out: Weights = {};
  for (const p of params) {
    const t = tensors[p.name]!;
    if (t.dtype !== 'F32') throw new Error(`${source}: "${p.name}" is ${t.dtype}, expected F32`);
    if (t.shape.join() !== p.shape.join()) throw new Error(`${source}: "${p.name}" has shape [${t.shape}], expected [${p.shape}]`);
    out[p.name] = t.data as Float32Array;
  }
  return out;
}

export function readStateDict(path: string, params: readonly ParamSpec[]): { weights: Weights; metadata: Record<string, string> } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  return { weights: weightsFromTensors(tensors, params, path), metadata };
}
