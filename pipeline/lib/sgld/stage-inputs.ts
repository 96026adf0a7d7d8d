// What every sampling stage (estimate, sweep, calibration) reads: the training split, the
// exported models of every training seed as starting points, and the seed model they share.
import { splitFromTensors } from '../../../schemas/dataset.ts';
import { MODEL_PATTERN, ModelConfigFile } from '../../../schemas/training.ts';
import type { StageContext } from '../stage/context.ts';
import { DataType } from '../onnx/ir.ts';
import { readCheckpoint, type Checkpoint } from './checkpoints.ts';
import { seedSgldModel, type SgldModel } from './sampled-model.ts';
import type { Dataset } from './sessions.ts';

export interface SamplingInputs {
  model: SgldModel;
  data: Dataset;
  /** By training seed (ascending), then in training order. */
  checkpoints: Checkpoint[];
  /** The training seeds, ascending. */
  seeds: number[];
}

export function samplingInputs(ctx: StageContext): SamplingInputs {
  const train = splitFromTensors(ctx.readSafetensorsInput('generate', 'train.safetensors'), 'generate/train.safetensors');
  const { schema: _s, schema_version: _v, ...cfg } = ctx.readJsonInput('export', 'model.json', ModelConfigFile);
  if (train.seqLen !== cfg.seqLen) throw new Error(`generate/train.safetensors has sequences of ${train.seqLen}, the model takes ${cfg.seqLen}`);
  const model = seedSgldModel(cfg);
  const checkpoints = ctx.inputsMatching('export', MODEL_PATTERN).map(({ path, match }) => readCheckpoint(match[0], path, model));
  if (checkpoints.length === 0) throw new Error('the export stage wrote no models');
  return {
    model,
    data: {
      x: { dataType: DataType.INT64, dims: [train.n, train.seqLen], data: train.tokens },
      y: { dataType: DataType.FLOAT, dims: [train.n, train.seqLen], data: train.targets },
    },
    checkpoints: checkpoints.sort((a, b) => a.seed - b.seed || a.step - b.step),
    seeds: [...new Set(checkpoints.map((c) => c.seed))].sort((a, b) => a - b),
  };
}

/** The checkpoints of the first (smallest) training seed, in their order: the run that the
 * stages looking at one run (sweep, calibration, the ordering check) look at. */
export function firstSeedCheckpoints(checkpoints: readonly Checkpoint[]): { seed: number; checkpoints: Checkpoint[] } {
  const seed = Math.min(...checkpoints.map((c) => c.seed));
  return { seed, checkpoints: checkpoints.filter((c) => c.seed === seed) };
}

/** The checkpoint a config key selects: an index into the checkpoints of the first (smallest)
 * training seed, negative from the end. */
export function pickCheckpoint(checkpoints: readonly Checkpoint[], index: number, key: string): Checkpoint {
  const { seed: first, checkpoints: ofSeed } = firstSeedCheckpoints(checkpoints);
  const i = index < 0 ? ofSeed.length + index : index;
  const c = ofSeed[i];
  if (!c) throw new Error(`${key} = ${index}: training seed ${first} has ${ofSeed.length} checkpoints (indices 0…${ofSeed.length - 1}, or −1…−${ofSeed.length} from the end)`);
  return c;
}
