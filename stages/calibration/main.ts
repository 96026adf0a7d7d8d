// Stage `calibration`: the notebook's long λ̂ trace on one checkpoint of the first training
// seed (SPEC.md §4: ε 0.03, nβ 2, γ 5, 3 chains, 1500 draws), to see whether the chains settle.
import { CALIBRATION_SCHEMA_ID, CALIBRATION_SCHEMA_VERSION, type Calibration } from '../../schemas/calibration.ts';
import { runStage } from '../../pipeline/lib/stage/run-stage.ts';
import { pickCheckpoint, samplingInputs } from '../../pipeline/lib/sgld/stage-inputs.ts';
import { sampleStage } from '../../pipeline/lib/sgld/sampling-stage.ts';
import { traceTensors } from '../../pipeline/lib/sgld/trace-file.ts';
import { calibrationLabel } from '../../pipeline/lib/health/labels.ts';

const TRACE = 'trace.safetensors';

await runStage('calibration', async (ctx) => {
  const c = ctx.config.calibration;
  const { device: deviceChoice, ...estimate } = ctx.config.estimate;
  const { model, data, checkpoints } = samplingInputs(ctx);
  const checkpoint = pickCheckpoint(checkpoints, c.checkpoint, 'calibration.checkpoint');
  const settings = { ...estimate, lr: c.lr, nbeta: c.nbeta, localization: c.localization, num_chains: c.num_chains, num_draws: c.num_draws, sampler: c.sampler, num_burnin_steps: 0, num_steps_bw_draws: 1 };
  const point = { w0: checkpoint.w0, key: checkpoint.step, trainSeed: checkpoint.seed, label: calibrationLabel(checkpoint.seed, checkpoint.step) };
  const { device, results } = await sampleStage(ctx, model, data, [point], settings, deviceChoice);
  const r = results[0]!;
  ctx.writeSafetensors(TRACE, traceTensors(r), { step: String(checkpoint.step), init_loss: String(r.initLoss), nbeta: String(r.nbeta) });
  const calibration: Calibration = {
    schema: CALIBRATION_SCHEMA_ID,
    schema_version: CALIBRATION_SCHEMA_VERSION,
    checkpoint_seed: checkpoint.seed,
    checkpoint_step: checkpoint.step,
    model: checkpoint.file,
    lr: c.lr,
    nbeta: r.nbeta,
    localization: c.localization,
    num_chains: c.num_chains,
    num_draws: c.num_draws,
    llc_mean: r.estimate.llcMean,
    llc_std: r.estimate.llcStd,
    llc_per_chain: r.estimate.llcPerChain,
    init_loss: r.initLoss,
    diverged: r.divergences,
    trace: TRACE,
    device,
  };
  ctx.writeJson('calibration.json', calibration);
  ctx.results.checkpoint_step = checkpoint.step;
  ctx.results.llc_mean = r.estimate.llcMean;
});
