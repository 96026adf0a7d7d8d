// sweep: the ε × nβ grid of the config, one trace per point.
import { SweepConfig } from '../../../schemas/config.ts';
import type { Manifest } from '../../../schemas/manifest.ts';
import { Sweep } from '../../../schemas/sweep.ts';
import type { CheckContext } from '../context.ts';
import { manifestSection } from './section.ts';
import { checkHealth, checkTraces, expectExportedModel } from './sampling.ts';

export function checkSweep(c: CheckContext, m: Manifest): void {
  const file = 'sweep/sweep.json';
  const cfg = manifestSection(c, 'sweep', m, 'sweep', SweepConfig);
  const sweep = c.json(file, Sweep);
  if (!sweep) return;
  expectExportedModel(c, file, sweep.model);
  if (cfg) {
    const got = [sweep.epsilons.length, sweep.nbetas.length, sweep.num_chains, sweep.num_draws];
    const want = [cfg.epsilon_samples, cfg.beta_samples, cfg.num_chains, cfg.num_draws];
    if (got.join() !== want.join()) c.fail(file, `has ${got[0]} ε × ${got[1]} nβ, ${got[2]} chains × ${got[3]} draws; the sweep config asks for ${want[0]} × ${want[1]}, ${want[2]} × ${want[3]}`);
  }
  const size = sweep.epsilons.length * sweep.nbetas.length;
  if (sweep.points.length !== size) c.fail(file, `has ${sweep.points.length} points, its grid ${sweep.epsilons.length} × ${sweep.nbetas.length} = ${size}`);
  checkTraces(c, 'sweep', sweep.points, sweep.num_chains, sweep.num_draws, 'sweep.json');
  checkHealth(c, 'sweep', sweep.points.length, sweep.num_chains, sweep.num_draws);
}
