// calibration: the long trace on one checkpoint, of the configured chains × draws.
import { Calibration } from '../../../schemas/calibration.ts';
import { CalibrationConfig } from '../../../schemas/config.ts';
import type { Manifest } from '../../../schemas/manifest.ts';
import type { CheckContext } from '../context.ts';
import { manifestSection } from './section.ts';
import { checkHealth, checkTraces, expectExportedModel } from './sampling.ts';

export function checkCalibration(c: CheckContext, m: Manifest): void {
  const file = 'calibration/calibration.json';
  const cfg = manifestSection(c, 'calibration', m, 'calibration', CalibrationConfig);
  const cal = c.json(file, Calibration);
  if (!cal) return;
  expectExportedModel(c, file, cal.model);
  if (cfg && (cal.num_chains !== cfg.num_chains || cal.num_draws !== cfg.num_draws)) {
    c.fail(file, `has ${cal.num_chains} chains × ${cal.num_draws} draws; the calibration config asks for ${cfg.num_chains} × ${cfg.num_draws}`);
  }
  if (cal.llc_per_chain.length !== cal.num_chains) c.fail(file, `has ${cal.llc_per_chain.length} per-chain values for ${cal.num_chains} chains`);
  checkTraces(c, 'calibration', [cal], cal.num_chains, cal.num_draws, 'calibration.json');
  checkHealth(c, 'calibration', 1, cal.num_chains, cal.num_draws);
}
