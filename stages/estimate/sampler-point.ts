// The ε and nβ of the estimate's chains: the config's numbers, or — estimate.lr / estimate.nbeta
// = sweep — the sweep's recommended point, which makes the stage graph sweep → estimate. A
// sweep that recommends nothing stops the stage with the sweep's own verdict; the sweep must
// have sampled at the estimate's γ, or its calibration says nothing about these chains.
import { Sweep } from '../../schemas/sweep.ts';
import type { StageContext } from '../../pipeline/lib/stage/context.ts';
import { defaultNbeta } from '../../pipeline/lib/sgld/llc-estimator.ts';

export interface SamplerPoint {
  lr: number;
  nbeta: number;
  /** Where the values came from, for estimates.json and the report. */
  source: string;
  /** The sweep they came from, where they did. */
  sweep?: Sweep;
}

export function samplerPoint(ctx: StageContext<'estimate'>): SamplerPoint {
  const c = ctx.config.estimate;
  const fromSweep = c.lr === 'sweep' || c.nbeta === 'sweep';
  const sweep = fromSweep ? ctx.readJsonInput('sweep', 'sweep.json', Sweep) : undefined;
  let chosen: { epsilon: number; nbeta: number } | undefined;
  if (sweep) {
    const at = sweep.recommendation.point;
    if (!at) throw new Error(`estimate.lr/nbeta = sweep, but the sweep recommends no point: ${sweep.recommendation.verdict} (or set estimate.lr and estimate.nbeta to numbers)`);
    if (sweep.localization !== c.localization) {
      throw new Error(`estimate.lr/nbeta = sweep, but the sweep sampled at γ = ${sweep.localization} (sweep.localization) and estimate.localization = ${c.localization}: set them equal`);
    }
    chosen = sweep.points.find((p) => p.i === at.i && p.j === at.j)!;
  }
  const where = sweep ? `the sweep's recommended point on the checkpoint of step ${sweep.checkpoint_step}` : '';
  const lr = c.lr === 'sweep' ? chosen!.epsilon : c.lr;
  const nbeta = c.nbeta === 'sweep' ? chosen!.nbeta : c.nbeta === 'auto' ? defaultNbeta(c.batch_size) : c.nbeta;
  const source = [c.lr === 'sweep' ? `ε from ${where}` : 'ε from estimate.lr', c.nbeta === 'sweep' ? `nβ from ${where}` : c.nbeta === 'auto' ? 'nβ = m/ln m (estimate.nbeta = auto)' : 'nβ from estimate.nbeta'].join('; ');
  return { lr, nbeta, source, ...(sweep ? { sweep } : {}) };
}
