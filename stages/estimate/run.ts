// The estimate stage's work: λ̂ of every exported checkpoint with devinterp's SGLD
// (SPEC.md §4), all checkpoints × num_chains chains batched into shared onnxruntime
// sessions. main.ts runs it as a stage.
import { ESTIMATES_SCHEMA_ID, ESTIMATES_SCHEMA_VERSION, type Estimates } from '../../schemas/estimate.ts';
import type { StageContext } from '../lib/stage.ts';
import { traceFile } from '../sgld/checkpoints.ts';
import { samplingInputs } from '../sgld/inputs.ts';
import { sampleStage } from '../sgld/sampling-stage.ts';
import { traceTensors } from '../sgld/trace.ts';

export async function estimate(ctx: StageContext): Promise<void> {
  const { device: deviceChoice, ...settings } = ctx.config.estimate;
  const { model, data, checkpoints } = samplingInputs(ctx);
  const points = checkpoints.map((c) => ({ w0: c.w0, key: c.step, label: `checkpoint step ${c.step}` }));
  const { device, results } = await sampleStage(ctx, model, data, points, settings, deviceChoice);
  const estimates: Estimates = {
    schema: ESTIMATES_SCHEMA_ID,
    schema_version: ESTIMATES_SCHEMA_VERSION,
    settings: ctx.config.estimate,
    device,
    checkpoints: checkpoints.map((c, i) => {
      const r = results[i]!;
      ctx.writeSafetensors(traceFile(c.step), traceTensors(r.estimate), { step: String(c.step), init_loss: String(r.initLoss), nbeta: String(r.nbeta) });
      return {
        step: c.step,
        model: c.file,
        llc_mean: r.estimate.llcMean,
        llc_std: r.estimate.llcStd,
        llc_per_chain: r.estimate.llcPerChain,
        init_loss: r.initLoss,
        nbeta: r.nbeta,
        diverged: r.divergences,
        trace: traceFile(c.step),
      };
    }),
  };
  ctx.writeJson('estimates.json', estimates);
  ctx.results.checkpoints = checkpoints.length;
}
