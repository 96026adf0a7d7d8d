// The export stage's models as SGLD starting points: each models/step-NNNNNN.onnx gives
// its training step and its weights in the seed model's parameter order.
import { readModelFile } from '../onnx/io.ts';
import { flatParameters, type SgldModel } from './sampled-model.ts';

export const MODEL_PATTERN = /(?:^|\/)models\/step-(\d{6,})\.onnx$/;

export interface Checkpoint {
  step: number;
  /** The file as the export stage names it (models/step-NNNNNN.onnx). */
  file: string;
  w0: Float32Array;
}

export function readCheckpoint(path: string, model: SgldModel): Checkpoint {
  const m = MODEL_PATTERN.exec(path);
  if (!m) throw new Error(`${path}: not an exported model (expected models/step-NNNNNN.onnx)`);
  return { step: Number(m[1]), file: `models/step-${m[1]}.onnx`, w0: flatParameters(readModelFile(path), model.params, path) };
}

/** The trace file of a checkpoint (of one restricted group), relative to the stage folder. */
export function traceFile(step: number, group?: string): string {
  return `traces/step-${String(step).padStart(6, '0')}${group ? `-${group}` : ''}.safetensors`;
}
