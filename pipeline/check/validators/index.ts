// The content checks of each stage's outputs, by stage name. A stage without an entry (or a
// file no entry reads) still has its files parsed by their extension (see ../run.ts).
import type { Manifest } from '../../../schemas/manifest.ts';
import type { CheckContext } from '../context.ts';
import { checkCalibration } from './calibration.ts';
import { checkEstimate } from './estimate.ts';
import { checkExport } from './export.ts';
import { checkGenerate } from './generate.ts';
import { checkSweep } from './sweep.ts';
import { checkTrain } from './train.ts';

export const VALIDATORS: Record<string, (c: CheckContext, m: Manifest) => void> = {
  generate: checkGenerate,
  train: checkTrain,
  export: checkExport,
  estimate: checkEstimate,
  sweep: checkSweep,
  calibration: checkCalibration,
};
