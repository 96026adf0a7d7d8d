// A trained checkpoint as an eval-mode ONNX model, and the proof that it is the same
// network: onnxruntime's outputs against the tfjs interpreter's on the same inputs.
import * as tf from '@tensorflow/tfjs-core';
import { DataType, type Model } from '../../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../../pipeline/lib/onnx/ort.ts';
import { buildSeedModel } from '../../pipeline/lib/model/seed-model.ts';
import type { SeedModelConfig } from '../../pipeline/lib/model/config.ts';
import type { Weights } from '../../pipeline/lib/model/state-dict.ts';
import { TfjsInterpreter } from '../../pipeline/lib/tfjs/interpreter.ts';
import { Pcg32 } from '../../pipeline/lib/util/prng.ts';

/**
 * How closely an exported graph must agree with tfjs on predictions in [0, 1]. Two runtimes
 * round differently, and how much that moves the predictions depends on the model: at
 * init_gain 8 (the default) an early checkpoint's softmax is saturated and the runtimes
 * differ by up to 5e-4, against 4e-6 once weight decay has shrunk the weights. So the bound
 * is the model's own float32 sensitivity — how far tfjs's predictions move when every weight
 * is nudged by one unit in the last place (±2^-24, relative) — times PARITY_FACTOR, and never
 * below PARITY_FLOOR. Measured (two seeds, six checkpoints each): the runtimes differ by 0.4
 * to 1× that sensitivity; a misread op moves predictions by 1e-2 or more.
 */
export const PARITY_FACTOR = 10;
export const PARITY_FLOOR = 1e-5;

/** Largest change of tfjs's predictions (`base`: those of `weights`) when every weight moves
 * by ±1 ulp (a fixed random sign). */
export function roundingSensitivity(cfg: SeedModelConfig, weights: Weights, base: Float32Array, tokens: BigInt64Array, rows: number, seqLen: number): number {
  const rng = new Pcg32(0, 0x5e45);
  const nudged = Object.fromEntries(Object.entries(weights).map(([name, w]) => [name, w.map((x) => x * (1 + (rng.nextU32() & 1 ? 1 : -1) * 2 ** -24))]));
  return maxAbsDiff(base, tfjsPredict(exportModel(cfg, nudged), tokens, rows, seqLen));
}

/** The parity bound for a model of this sensitivity. */
export const parityTolerance = (sensitivity: number) => Math.max(PARITY_FLOOR, PARITY_FACTOR * sensitivity);

/** onnxruntime's predictions of the encoded model against tfjs's, and the bound they must keep. */
export async function parity(cfg: SeedModelConfig, weights: Weights, bytes: Uint8Array, tokens: BigInt64Array, rows: number, seqLen: number): Promise<{ diff: number; bound: number }> {
  const ort = await ortPredict(bytes, tokens, rows, seqLen);
  const tfjs = tfjsPredict(exportModel(cfg, weights), tokens, rows, seqLen);
  return { diff: maxAbsDiff(ort, tfjs), bound: parityTolerance(roundingSensitivity(cfg, weights, tfjs, tokens, rows, seqLen)) };
}

/** The words for a parity failure. */
export const parityBreach = (diff: number, bound: number) => `differ by ${diff}, above the bound ${bound} (${PARITY_FACTOR}× the model's rounding sensitivity, at least ${PARITY_FLOOR})`;

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
