// The estimate stage's work: λ̂ of every exported checkpoint of every training seed with
// devinterp's SGLD, and λ̂ restricted to each estimate.restrict group, all seeds ×
// checkpoints × groups × num_chains chains batched into shared onnxruntime sessions, at the
// ε and nβ of sampler-point.ts, with the ordering check of ordering.ts in the same sessions.
// main.ts runs it as a stage.
import { ESTIMATES_SCHEMA_ID, ESTIMATES_SCHEMA_VERSION, type Estimates } from '../../schemas/estimate.ts';
import type { StageContext } from '../../pipeline/lib/stage/context.ts';
import { traceFile } from '../../pipeline/lib/sgld/checkpoints.ts';
import { samplingInputs } from '../../pipeline/lib/sgld/stage-inputs.ts';
import { sampleStage } from '../../pipeline/lib/sgld/sampling-stage.ts';
import { traceTensors } from '../../pipeline/lib/sgld/trace-file.ts';
import { parameterMask, restrictGroups } from './parameter-masks.ts';
import { samplerPoint } from './sampler-point.ts';
import { checkpointLabel } from '../../pipeline/lib/health/labels.ts';
import { neighbours, orderingCheckpoints, orderingResult } from './ordering.ts';

/** Keys of a restricted group's random streams: its checkpoint's step plus (group + 1)·2^24;
 * the ordering check's alternatives follow the groups. */
const GROUP_KEY = 2 ** 24;

export async function estimate(ctx: StageContext<'estimate'>): Promise<void> {
  const { device: deviceChoice, restrict, params, freeze, ordering_checkpoints, ...config } = ctx.config.estimate;
  const { sweep, ...point } = samplerPoint(ctx);
  ctx.log(`ε = ${point.lr}, nβ = ${point.nbeta}: ${point.source}`);
  const settings = { ...config, lr: point.lr, nbeta: point.nbeta };
  const { model, data, checkpoints, seeds } = samplingInputs(ctx);
  const selected = params.length || freeze.length ? parameterMask(model.params, params, freeze, 'estimate.params') : undefined;
  if (selected) ctx.log(`sampling ${selected.params.length} of ${model.params.length} parameters (${selected.weightCount} weights): ${selected.params.join(', ')}`);
  const groups = restrictGroups(restrict, freeze, model.params);
  const alternatives = sweep && ordering_checkpoints > 0 ? neighbours(sweep) : [];
  if ((groups.length || alternatives.length) && checkpoints.some((c) => c.step >= GROUP_KEY)) throw new Error(`estimate.restrict and the ordering check support checkpoints below step ${GROUP_KEY}`);
  const whole = checkpoints.map((c) => ({ w0: c.w0, key: c.step, trainSeed: c.seed, label: checkpointLabel(c.seed, c.step), ...(selected ? { mask: selected.mask } : {}) }));
  const restricted = groups.flatMap((g, gi) => checkpoints.map((c) => ({ w0: c.w0, key: c.step + (gi + 1) * GROUP_KEY, trainSeed: c.seed, mask: g.mask, label: checkpointLabel(c.seed, c.step, g.name) })));
  if (groups.length) ctx.log(`restricted λ̂ for ${groups.map((g) => `${g.name} (${g.params.length} parameters, ${g.weightCount} weights)`).join(', ')}`);
  // The ordering check: a few checkpoints again at each usable neighbour of the sweep's point.
  const again = alternatives.length ? orderingCheckpoints(checkpoints, ordering_checkpoints) : [];
  const reordered = alternatives.flatMap((p, a) =>
    again.map((c) => ({ w0: c.w0, key: c.step + (groups.length + 1 + a) * GROUP_KEY, trainSeed: c.seed, lr: p.epsilon, nbeta: p.nbeta, label: `ordering check at ε = ${p.epsilon.toPrecision(3)}, nβ = ${p.nbeta.toPrecision(3)}: ${checkpointLabel(c.seed, c.step)}`, ...(selected ? { mask: selected.mask } : {}) })),
  );
  if (alternatives.length) ctx.log(`ordering check: ${again.length} checkpoints of seed ${again[0]!.seed} again at ${alternatives.map((p) => `ε = ${p.epsilon.toPrecision(3)}, nβ = ${p.nbeta.toPrecision(3)}`).join(' and ')}`);
  else if (sweep && ordering_checkpoints > 0) ctx.log("ordering check: the sweep's recommended point has no usable neighbour, so none is made");
  const { device, results } = await sampleStage(ctx, model, data, [...whole, ...restricted, ...reordered], settings, deviceChoice);
  const chainsAt = (indices: number[]) => indices.map((i) => results[i]!.estimate.llcPerChain);
  const entries = (offset: number, group?: string) =>
    checkpoints.map((c, i) => {
      const r = results[offset + i]!;
      const trace = traceFile(c.seed, c.step, group);
      ctx.writeSafetensors(trace, traceTensors(r), { seed: String(c.seed), step: String(c.step), init_loss: String(r.initLoss), nbeta: String(r.nbeta), ...(group ? { group } : {}) });
      return {
        seed: c.seed,
        step: c.step,
        model: c.file,
        llc_mean: r.estimate.llcMean,
        llc_std: r.estimate.llcStd,
        llc_per_chain: r.estimate.llcPerChain,
        init_loss: r.initLoss,
        nbeta: r.nbeta,
        diverged: r.divergences,
        trace,
      };
    });
  const estimates: Estimates = {
    schema: ESTIMATES_SCHEMA_ID,
    schema_version: ESTIMATES_SCHEMA_VERSION,
    settings: ctx.config.estimate,
    sampler_point: point,
    device,
    ...(selected ? { sampled: { params: selected.params, weight_count: selected.weightCount } } : {}),
    checkpoints: entries(0),
    restricted: groups.map((g, gi) => ({ group: g.name, params: g.params, weight_count: g.weightCount, checkpoints: entries((gi + 1) * checkpoints.length, g.name) })),
    ordering: alternatives.length ? orderingResult(again, chainsAt(again.map((c) => checkpoints.indexOf(c))), alternatives.map((p, a) => ({ point: p, chains: chainsAt(again.map((_, k) => (groups.length + 1) * checkpoints.length + a * again.length + k)) }))) : null,
  };
  ctx.writeJson('estimates.json', estimates);
  ctx.results.checkpoints = checkpoints.length;
  ctx.results.seeds = seeds;
  ctx.results.sampler_point = point;
  ctx.results.restricted_groups = groups.length;
}
