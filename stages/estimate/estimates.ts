// The estimate stage's work: λ̂ of every exported checkpoint with devinterp's SGLD, and λ̂
// restricted to each estimate.restrict group, all checkpoints × groups × num_chains chains
// batched into shared onnxruntime sessions. main.ts runs it as a stage.
import { ESTIMATES_SCHEMA_ID, ESTIMATES_SCHEMA_VERSION, type Estimates } from '../../schemas/estimate.ts';
import type { StageContext } from '../../pipeline/lib/stage/context.ts';
import { traceFile } from '../../pipeline/lib/sgld/checkpoints.ts';
import { samplingInputs } from '../../pipeline/lib/sgld/stage-inputs.ts';
import { sampleStage } from '../../pipeline/lib/sgld/sampling-stage.ts';
import { traceTensors } from '../../pipeline/lib/sgld/trace-file.ts';
import { parameterMask, restrictGroups } from './parameter-masks.ts';

/** Keys of a restricted group's random streams: its checkpoint's step plus (group + 1)·2^24. */
const GROUP_KEY = 2 ** 24;

export async function estimate(ctx: StageContext<'estimate'>): Promise<void> {
  const { device: deviceChoice, restrict, params, freeze, ...settings } = ctx.config.estimate;
  const { model, data, checkpoints } = samplingInputs(ctx);
  const selected = params.length || freeze.length ? parameterMask(model.params, params, freeze, 'estimate.params') : undefined;
  if (selected) ctx.log(`sampling ${selected.params.length} of ${model.params.length} parameters (${selected.weightCount} weights): ${selected.params.join(', ')}`);
  const groups = restrictGroups(restrict, freeze, model.params);
  if (groups.length && checkpoints.some((c) => c.step >= GROUP_KEY)) throw new Error(`estimate.restrict supports checkpoints below step ${GROUP_KEY}`);
  const whole = checkpoints.map((c) => ({ w0: c.w0, key: c.step, label: `checkpoint step ${c.step}`, ...(selected ? { mask: selected.mask } : {}) }));
  const restricted = groups.flatMap((g, gi) => checkpoints.map((c) => ({ w0: c.w0, key: c.step + (gi + 1) * GROUP_KEY, mask: g.mask, label: `checkpoint step ${c.step}, group ${g.name}` })));
  if (groups.length) ctx.log(`restricted λ̂ for ${groups.map((g) => `${g.name} (${g.params.length} parameters, ${g.weightCount} weights)`).join(', ')}`);
  const { device, results } = await sampleStage(ctx, model, data, [...whole, ...restricted], settings, deviceChoice);
  const entries = (offset: number, group?: string) =>
    checkpoints.map((c, i) => {
      const r = results[offset + i]!;
      const trace = traceFile(c.step, group);
      ctx.writeSafetensors(trace, traceTensors(r), { step: String(c.step), init_loss: String(r.initLoss), nbeta: String(r.nbeta), ...(group ? { group } : {}) });
      return {
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
    device,
    ...(selected ? { sampled: { params: selected.params, weight_count: selected.weightCount } } : {}),
    checkpoints: entries(0),
    restricted: groups.map((g, gi) => ({ group: g.name, params: g.params, weight_count: g.weightCount, checkpoints: entries((gi + 1) * checkpoints.length, g.name) })),
  };
  ctx.writeJson('estimates.json', estimates);
  ctx.results.checkpoints = checkpoints.length;
  ctx.results.restricted_groups = groups.length;
}
