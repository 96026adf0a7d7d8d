// Stage `sweep`: the notebook's ε × nβ calibration grid (SPEC.md §5) on one checkpoint of
// the first training seed,
// every grid point × chain batched into shared onnxruntime sessions.
import { SWEEP_SCHEMA_ID, SWEEP_SCHEMA_VERSION, type Sweep } from '../../schemas/sweep.ts';
import { runStage } from '../../pipeline/lib/stage/run-stage.ts';
import { pickCheckpoint, samplingInputs } from '../../pipeline/lib/sgld/stage-inputs.ts';
import { sampleStage } from '../../pipeline/lib/sgld/sampling-stage.ts';
import { defaultNbeta } from '../../pipeline/lib/sgld/llc-estimator.ts';
import { traceTensors } from '../../pipeline/lib/sgld/trace-file.ts';
import { logSpace, nbetaGrid } from './grid.ts';
import { pointName, recommend } from './recommend.ts';
import { mean } from '../../pipeline/lib/util/moments.ts';

/** The MSE of the best constant prediction (the mean target) on the sampled data. */
function trivialLoss(y: Float32Array): number {
  const m = mean(y);
  let sum = 0;
  for (const v of y) sum += (v - m) ** 2;
  return sum / y.length;
}

const traceName = (i: number, j: number) => `traces/eps-${i}-nbeta-${j}.safetensors`;

await runStage('sweep', async (ctx) => {
  const c = ctx.config.sweep;
  const { device: deviceChoice, ...estimate } = ctx.config.estimate;
  const { model, data, checkpoints } = samplingInputs(ctx);
  const checkpoint = pickCheckpoint(checkpoints, c.checkpoint, 'sweep.checkpoint');
  const nbeta0 = defaultNbeta(estimate.batch_size);
  const epsilons = logSpace(c.min_epsilon, c.max_epsilon, c.epsilon_samples);
  const nbetas = nbetaGrid(nbeta0, c.beta_samples, c.min_nbeta, c.max_nbeta);
  const grid = epsilons.flatMap((epsilon, i) => nbetas.map((nbeta, j) => ({ i, j, epsilon, nbeta })));
  // The online estimator at every point: the estimate section's loader, seed, λ and σ with
  // the sweep's own chains, draws, burn-in, thinning and γ. Every point brings its own ε and nβ, so
  // the settings' own (the grid's first) are never used.
  const settings = { ...estimate, lr: epsilons[0]!, nbeta: nbetas[0]!, localization: c.localization, num_chains: c.num_chains, num_draws: c.num_draws, sampler: c.sampler, num_burnin_steps: c.num_burnin_steps, num_steps_bw_draws: c.num_steps_bw_draws };
  const points = grid.map((g, k) => ({ w0: checkpoint.w0, key: k, trainSeed: checkpoint.seed, lr: g.epsilon, nbeta: g.nbeta, label: `sweep ε=${g.epsilon.toPrecision(3)} nβ=${g.nbeta.toPrecision(3)}` }));
  const { device, results, health } = await sampleStage(ctx, model, data, points, settings, deviceChoice);

  // One λ̂ per point, everywhere: the estimator's, as estimates.json and health.json give it.
  const estimates = grid.map((g, k) => {
    const r = results[k]!;
    return { ...g, llc_mean: r.estimate.llcMean, llc_std: r.estimate.llcStd, llc_se: health[k]!.llc_se ?? null, llc_per_chain: r.estimate.llcPerChain };
  });
  const trivial = trivialLoss(data.y.data as Float32Array);
  const { judged, recommendation } = recommend(estimates.map((e, k) => ({ ...e, init_loss: results[k]!.initLoss })), health, c.num_chains, nbeta0, trivial);
  const sweep: Sweep = {
    schema: SWEEP_SCHEMA_ID,
    schema_version: SWEEP_SCHEMA_VERSION,
    checkpoint_seed: checkpoint.seed,
    checkpoint_step: checkpoint.step,
    model: checkpoint.file,
    nbeta0,
    epsilons,
    nbetas,
    localization: c.localization,
    trivial_loss: trivial,
    num_chains: c.num_chains,
    num_draws: c.num_draws,
    device,
    points: estimates.map((e, k) => {
      const r = results[k]!;
      ctx.writeSafetensors(traceName(e.i, e.j), traceTensors(r), { epsilon: String(e.epsilon), nbeta: String(e.nbeta), init_loss: String(r.initLoss) });
      return {
        ...e,
        llc_over_nbeta: e.llc_mean === null ? null : e.llc_mean / e.nbeta,
        init_loss: r.initLoss,
        diverged: r.divergences,
        ...judged[k]!,
        trace: traceName(e.i, e.j),
      };
    }),
    recommendation,
  };
  ctx.writeJson('sweep.json', sweep);
  ctx.results.checkpoint_step = checkpoint.step;
  ctx.results.points = grid.length;
  ctx.results.diverged_points = sweep.points.filter((p) => p.diverged.length > 0).length;
  const chosen = recommendation.point && sweep.points.find((p) => p.i === recommendation.point!.i && p.j === recommendation.point!.j)!;
  ctx.results.recommended = chosen ? pointName(chosen) : null;
  ctx.log(`rule: ${recommendation.rule}`);
  ctx.log(recommendation.verdict);
});
