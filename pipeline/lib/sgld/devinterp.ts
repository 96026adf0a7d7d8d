// What `pipeline llc` shares with devinterp 1.3's estimate_learning_coeff_with_summary
// besides the sampler: its defaults (to say where ours differ) and the keys of the dict it
// returns (`--format devinterp`).
import type { LlcResult, LlcSettings } from './estimate-llc.ts';

/** devinterp's defaults: estimate_learning_coeff_with_summary's chains, draws, burn-in and
 * thinning; SGLD's ε, γ, λ and σ; nβ set to default_nbeta(loader) = m/ln m. */
export const DEVINTERP_DEFAULTS: Partial<Record<keyof LlcSettings, number | 'auto'>> = {
  lr: 0.01,
  nbeta: 'auto',
  localization: 0,
  weight_decay: 0,
  noise_level: 1,
  num_chains: 10,
  num_draws: 100,
  num_burnin_steps: 0,
  num_steps_bw_draws: 1,
};

/** The keys of `settings` whose value differs from devinterp's default. */
export function unlikeDevinterp(settings: LlcSettings): (keyof LlcSettings)[] {
  return (Object.keys(DEVINTERP_DEFAULTS) as (keyof LlcSettings)[]).filter((k) => settings[k] !== DEVINTERP_DEFAULTS[k]);
}

function rows(trace: Float32Array, chains: number): number[][] {
  const draws = trace.length / chains;
  return Array.from({ length: chains }, (_, c) => Array.from(trace.subarray(c * draws, (c + 1) * draws)));
}

/**
 * The dict devinterp returns, both estimators' keys: LLCEstimator's `llc/mean`, `llc/std`,
 * `llc-chain/<i>`, `loss/trace` and OnlineLLCEstimator's `init_loss`, `llc/means`,
 * `llc/stds`, `llc/trace` ([chains][draws]). A diverged chain's values are null (devinterp
 * raises on NaN instead), as is llc/std with one chain (torch gives NaN).
 */
export function devinterpResults(r: LlcResult): Record<string, unknown> {
  const e = r.estimate;
  const chains = e.llcPerChain.length;
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    init_loss: r.initLoss,
    'llc/mean': e.llcMean,
    'llc/std': e.llcStd,
    ...Object.fromEntries(e.llcPerChain.map((v, i) => [`llc-chain/${i}`, v])),
    'llc/means': Array.from(e.llcMeanTrace, finite),
    'llc/stds': Array.from(e.llcStdTrace, finite),
    'llc/trace': rows(e.llcTrace, chains).map((row) => row.map(finite)),
    'loss/trace': rows(e.lossTrace, chains).map((row) => row.map(finite)),
  };
}
