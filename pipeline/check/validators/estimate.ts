// estimate: one λ̂ per exported model (and per restricted group), with its trace, of the
// configured chains × draws.
import { EstimateConfig } from '../../../schemas/config.ts';
import { Estimates } from '../../../schemas/estimate.ts';
import { Sweep } from '../../../schemas/sweep.ts';
import type { Manifest } from '../../../schemas/manifest.ts';
import type { CheckContext } from '../context.ts';
import { manifestSection } from './section.ts';
import { MODEL_PATTERN } from '../../../schemas/training.ts';
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
    if (cp.llc_per_chain.length !== cfg.num_chains) c.fail(file, `seed ${cp.seed} step ${cp.step}: ${cp.llc_per_chain.length} per-chain values, estimate.num_chains = ${cfg.num_chains}`);
    if (!cp.model.startsWith(`seed-${cp.seed}/`)) c.fail(file, `seed ${cp.seed} step ${cp.step}: its model ${cp.model} belongs to another seed`);
  }
  // ε and nβ: the config's numbers, or the sweep's recommended point.
  const sweep = c.manifests.has('sweep') && (cfg.lr === 'sweep' || cfg.nbeta === 'sweep') ? c.json('sweep/sweep.json', Sweep) : undefined;
  const at = sweep?.recommendation.point;
  const chosen = at ? sweep!.points.find((p) => p.i === at.i && p.j === at.j) : undefined;
  for (const [key, value] of [['lr', est.sampler_point.lr], ['nbeta', est.sampler_point.nbeta]] as const) {
    const want = cfg[key] === 'sweep' ? (key === 'lr' ? chosen?.epsilon : chosen?.nbeta) : typeof cfg[key] === 'number' ? cfg[key] : undefined;
    if (want !== undefined && want !== value) c.fail(file, `sampler_point.${key} = ${value}, but estimate.${key} = ${cfg[key]} gives ${want}`);
  }
  // estimate.restrict: one group per configured name, each with an estimate per checkpoint.
  const groups = est.restricted ?? [];
  const wanted = Object.keys(cfg.restrict);
  if (groups.map((g) => g.group).join() !== wanted.join()) c.fail(file, `restricted groups [${groups.map((g) => g.group)}], estimate.restrict names [${wanted}]`);
  for (const g of groups) {
    if (g.checkpoints.map((cp) => cp.model).join() !== est.checkpoints.map((cp) => cp.model).join()) c.fail(file, `group ${g.group}: its checkpoints differ from the whole model's`);
    for (const cp of g.checkpoints) if (cp.llc_per_chain.length !== cfg.num_chains) c.fail(file, `group ${g.group}, seed ${cp.seed} step ${cp.step}: ${cp.llc_per_chain.length} per-chain values, estimate.num_chains = ${cfg.num_chains}`);
  }
  const all = [...est.checkpoints, ...groups.flatMap((g) => g.checkpoints)];
  checkTraces(c, 'estimate', all, cfg.num_chains, cfg.num_draws, 'estimates.json');
  // The ordering check's chains have health entries too, and no trace files.
  const again = est.ordering ? est.ordering.points.length * est.ordering.steps.length : 0;
  for (const p of est.ordering?.points ?? []) if (p.llc.length !== est.ordering!.steps.length) c.fail(file, `ordering check at ε = ${p.epsilon}: ${p.llc.length} λ̂ for ${est.ordering!.steps.length} checkpoints`);
  checkHealth(c, 'estimate', all.length + again, cfg.num_chains, cfg.num_draws);
}
