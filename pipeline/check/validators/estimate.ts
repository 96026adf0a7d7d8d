// estimate: one λ̂ per exported model, with its trace, of the configured chains × draws.
import { EstimateConfig } from '../../../schemas/config.ts';
import { Estimates } from '../../../schemas/estimate.ts';
import type { Manifest } from '../../../schemas/manifest.ts';
import type { CheckContext } from '../context.ts';
import { manifestSection } from './section.ts';
import { MODEL_PATTERN } from './export.ts';
import { checkHealth, checkTraces, expectExportedModel } from './sampling.ts';

export function checkEstimate(c: CheckContext, m: Manifest): void {
  const file = 'estimate/estimates.json';
  const cfg = manifestSection(c, 'estimate', m, 'estimate', EstimateConfig);
  const est = c.json(file, Estimates);
  if (!est || !cfg) return;
  const models = new Set(est.checkpoints.map((cp) => cp.model));
  if (c.manifests.has('export')) {
    for (const model of c.outputs('export').filter((f) => MODEL_PATTERN.test(f))) if (!models.has(model)) c.fail(file, `has no estimate for export/${model}`);
  }
  for (const cp of est.checkpoints) {
    expectExportedModel(c, file, cp.model);
    if (cp.llc_per_chain.length !== cfg.num_chains) c.fail(file, `step ${cp.step}: ${cp.llc_per_chain.length} per-chain values, estimate.num_chains = ${cfg.num_chains}`);
  }
  checkTraces(c, 'estimate', est.checkpoints, cfg.num_chains, cfg.num_draws, 'estimates.json');
  checkHealth(c, 'estimate', est.checkpoints.length, cfg.num_chains, cfg.num_draws);
}
