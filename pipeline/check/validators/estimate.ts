// estimate: one λ̂ per exported model (and per restricted group), with its trace, of the
// configured chains × draws.
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
  // estimate.restrict: one group per configured name, each with an estimate per checkpoint.
  const groups = est.restricted ?? [];
  const wanted = Object.keys(cfg.restrict);
  if (groups.map((g) => g.group).join() !== wanted.join()) c.fail(file, `restricted groups [${groups.map((g) => g.group)}], estimate.restrict names [${wanted}]`);
  for (const g of groups) {
    if (g.checkpoints.map((cp) => cp.step).join() !== est.checkpoints.map((cp) => cp.step).join()) c.fail(file, `group ${g.group}: its checkpoints differ from the whole model's`);
    for (const cp of g.checkpoints) if (cp.llc_per_chain.length !== cfg.num_chains) c.fail(file, `group ${g.group}, step ${cp.step}: ${cp.llc_per_chain.length} per-chain values, estimate.num_chains = ${cfg.num_chains}`);
  }
  const all = [...est.checkpoints, ...groups.flatMap((g) => g.checkpoints)];
  checkTraces(c, 'estimate', all, cfg.num_chains, cfg.num_draws, 'estimates.json');
  checkHealth(c, 'estimate', all.length, cfg.num_chains, cfg.num_draws);
}
