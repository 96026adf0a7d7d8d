// A trained checkpoint as an eval-mode ONNX model, and the proof that it is the same
// network: onnxruntime's outputs against the tfjs interpreter's on the same inputs.
import * as tf from '@tensorflow/tfjs-core';
import { DataType, type Model } from '../../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../../pipeline/lib/onnx/ort.ts';
import { buildSeedModel } from '../../pipeline/lib/model/seed-model.ts';
import type { SeedModelConfig } from '../../pipeline/lib/model/config.ts';
import type { Weights } from '../../pipeline/lib/model/state-dict.ts';
import { TfjsInterpreter } from '../../pipeline/lib/tfjs/interpreter.ts';

/** Exported graphs must agree with tfjs to this (float32 rounding of two runtimes). */
export const PARITY_TOLERANCE = 1e-5;

export function exportModel(cfg: SeedModelConfig, weights: Weights): Model {
  return buildSeedModel(cfg, { training: false, weights });
}

/** Predictions of a model with input `tokens` and output `pred` in onnxruntime (CPU). */
export async function ortPredict(model: Model | Uint8Array, tokens: BigInt64Array, rows: number, seqLen: number): Promise<Float32Array> {
  const session = await createSession(model, { device: 'cpu' });
  try {
    const out = await runSession(session, { tokens: { dataType: DataType.INT64, dims: [rows, seqLen], data: tokens } }, ['pred']);
    return out.pred!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Predictions of the same model interpreted by tfjs (the backend already chosen). */
export function tfjsPredict(model: Model, tokens: BigInt64Array, rows: number, seqLen: number): Float32Array {
  const interp = new TfjsInterpreter(model);
  try {
    const pred = tf.tidy(() => interp.run({ tokens: tf.tensor2d(Int32Array.from(tokens, Number), [rows, seqLen], 'int32') }).pred!);
    const values = pred.dataSync() as Float32Array;
    pred.dispose();
    return values;
  } finally {
    interp.dispose();
  }
}

/** Largest |a − b|; a NaN anywhere counts as an infinite difference. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`cannot compare ${a.length} with ${b.length} values`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return Infinity;
    if (d > m) m = d;
  }
  return m;
}
