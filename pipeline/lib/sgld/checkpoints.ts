// The export stage's models as SGLD starting points: each seed-<s>/models/step-NNNNNN.onnx
// gives its training seed, its training step and its weights in the seed model's parameter order.
import { MODEL_PATTERN, modelName, seedDir } from '../../../schemas/training.ts';
import { readModelFile } from '../onnx/io.ts';
import { flatParameters, type SgldModel } from './sampled-model.ts';

export interface Checkpoint {
  /** The training seed (train.seeds) of the run it belongs to. */
  seed: number;
  step: number;
  /** The file as the export stage names it (seed-<s>/models/step-NNNNNN.onnx). */
  file: string;
  w0: Float32Array;
}

/** `file`: the name in the export stage's folder; `path`: where to read it. */
export function readCheckpoint(file: string, path: string, model: SgldModel): Checkpoint {
  const m = MODEL_PATTERN.exec(file);
  if (!m) throw new Error(`${path}: not an exported model (expected seed-<s>/models/step-NNNNNN.onnx)`);
  const [seed, step] = [Number(m[1]), Number(m[2])];
  return { seed, step, file: modelName(seed, step), w0: flatParameters(readModelFile(path), model.params, path) };
}

/** The trace file of a checkpoint (of one restricted group), relative to the stage folder. */
export function traceFile(seed: number, step: number, group?: string): string {
  return `${seedDir(seed)}/traces/step-${String(step).padStart(6, '0')}${group ? `-${group}` : ''}.safetensors`;
}
