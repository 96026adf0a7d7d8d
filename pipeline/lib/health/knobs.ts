// The settings a health warning tells the user to change, as they are spelt where the
// estimate was made: config keys for the sampling stages, flags for `pipeline llc`. null
// where that place has no such setting (sweep and calibration have no burn-in or thinning).

export interface Knobs {
  /** ε, the step size. */
  lr: string;
  /** γ, the pull back to w₀. */
  localization: string;
  draws: string;
  burnin: string | null;
  /** Steps between draws. */
  thin: string | null;
  chains: string;
  batchSize: string;
}

export const LLC_FLAGS: Knobs = {
  lr: '--lr',
  localization: '--localization',
  draws: '--draws',
  burnin: '--burnin',
  thin: '--thin',
  chains: '--chains',
  batchSize: '--batch-size',
};

/** The sampling stages' config keys; sweep and calibration take minibatches from the estimate section. */
export const STAGE_KNOBS: Record<'estimate' | 'sweep' | 'calibration', Knobs> = {
  estimate: {
    lr: 'estimate.lr',
    localization: 'estimate.localization',
    draws: 'estimate.num_draws',
    burnin: 'estimate.num_burnin_steps',
    thin: 'estimate.num_steps_bw_draws',
    chains: 'estimate.num_chains',
    batchSize: 'estimate.batch_size',
  },
  sweep: {
    lr: "sweep.min_epsilon/max_epsilon grid; this point's ε",
    localization: 'sweep.localization',
    draws: 'sweep.num_draws',
    burnin: null,
    thin: null,
    chains: 'sweep.num_chains',
    batchSize: 'estimate.batch_size',
  },
  calibration: {
    lr: 'calibration.lr',
    localization: 'calibration.localization',
    draws: 'calibration.num_draws',
    burnin: null,
    thin: null,
    chains: 'calibration.num_chains',
    batchSize: 'estimate.batch_size',
  },
};

/** "estimate.lr, now 0.001" or "--lr, now 0.001": where to change a setting, and its value. */
export function knob(name: string, now: number | string): string {
  return `${name}, now ${now}`;
}
