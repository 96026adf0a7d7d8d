// What every sampling stage (estimate, sweep, calibration) reads: the training split, the
// exported models as starting points, and the seed model they share.
import { splitFromTensors } from '../../../schemas/dataset.ts';
import { ModelConfigFile } from '../../../schemas/training.ts';
import type { StageContext } from '../stage/context.ts';
import { DataType } from '../onnx/ir.ts';
import { readCheckpoint, type Checkpoint } from './checkpoints.ts';
import { seedSgldModel, type SgldModel } from './sampled-model.ts';
import type { Dataset } from './sessions.ts';

export interface SamplingInputs {
  model: SgldModel;
  data: Dataset;
  /** In training order. */
  checkpoints: Checkpoint[];
}

export function samplingInputs(ctx: StageContext): SamplingInputs {
  const train = splitFromTensors(ctx.readSafetensorsInput('generate', 'train.safetensors'), 'generate/train.safetensors');
  const { schema: _s, schema_version: _v, ...cfg } = ctx.readJsonInput('export', 'model.json', ModelConfigFile);
  if (train.seqLen !== cfg.seqLen) throw new Error(`generate/train.safetensors has sequences of ${train.seqLen}, the model takes ${cfg.seqLen}`);
  const model = seedSgldModel(cfg);
  const checkpoints = ctx.inputsUnder('export', 'models').map((path) => readCheckpoint(path, model));
  if (checkpoints.length === 0) throw new Error('the export stage wrote no models');
  return {
    model,
    data: {
      x: { dataType: DataType.INT64, dims: [train.n, train.seqLen], data: train.tokens },
      y: { dataType: DataType.FLOAT, dims: [train.n, train.seqLen], data: train.targets },
    },
    checkpoints: checkpoints.sort((a, b) => a.step - b.step),
  };
}

/** The checkpoint a config key selects: an index into the checkpoints, negative from the end. */
export function pickCheckpoint(checkpoints: readonly Checkpoint[], index: number, key: string): Checkpoint {
  const i = index < 0 ? checkpoints.length + index : index;
  const c = checkpoints[i];
  if (!c) throw new Error(`${key} = ${index}: there are ${checkpoints.length} checkpoints (indices 0…${checkpoints.length - 1}, or −1…−${checkpoints.length} from the end)`);
  return c;
}
