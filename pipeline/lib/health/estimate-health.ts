// The health of one λ̂ estimate, from its traces and the sampler settings: what
// schemas/health.ts records, and each problem as a sentence that names the estimate. The
// sampling stages (estimate, sweep, calibration) call estimateHealth once per estimate and
// write healthFile(...) as health.json.
import { HEALTH_SCHEMA_ID, HEALTH_SCHEMA_VERSION, type EstimateHealth, type Health } from '../../../schemas/health.ts';
import { rowsOf, splitChains } from './chains.ts';
import { effectiveSampleSize } from './ess.ts';
import { splitRhat } from './rhat.ts';
import { mean, variance } from '../util/moments.ts';
import { stationarity } from './stationarity.ts';
import { STAGE_KNOBS, knob, type Knobs } from './knobs.ts';

/** BDA3's threshold for its (non-rank-normalised) split-R̂. */
export const R_HAT_LIMIT = 1.1;
/** ESS below this fraction of the draws: bayesplot's "neff ratio" warning level. */
export const ESS_RATIO_LIMIT = 0.1;
/** A chain whose distance from w₀ at its last draw is this many times the localization
 * radius (localizationRadius) is pushed away by the loss. 2, not 1: a flat direction sits
 * at the radius itself, minibatch gradients and RMSProp's preconditioner add a little, and
 * with few weights |w − w₀| scatters (for d = 1 it exceeds 2× the radius 5% of the time). */
export const WANDER_LIMIT = 2;
/** devinterp's authors aim for a MALA acceptance near 0.9; below this, ε is too large. */
export const MALA_ACCEPTANCE_LIMIT = 0.7;
/** A chain whose loss over its last half of draws averages this many times init_loss, and
 * more than LOSS_GROWTH_LIMIT times its first half, has exploded. The ratio alone says
 * little: the rise λ/nβ of a healthy chain can dwarf a small init_loss (25–40× on the
 * well-trained fixtures of test/fixtures/torch-exports, 470× on its transformer, whose
 * chains are flat), so an explosion is also a loss still growing. */
export const LOSS_EXPLOSION_LIMIT = 100;
export const LOSS_GROWTH_LIMIT = 2;
/** λ̂ this many standard errors above d/2 (the largest learning coefficient) is flagged. */
export const BOUND_SE = 3;

export interface HealthInput {
  /** Names the estimate in every warning, e.g. "checkpoint step 5500". */
  label: string;
  chains: number;
  draws: number;
  /** Loss and llc traces, [chains, draws] row-major, as the trace files hold them. */
  loss: Float32Array;
  llc: Float32Array;
  /** Chains the sampler marked diverged (a chain with a non-finite value counts anyway). */
  diverged: readonly { chain: number }[];
  /** The λ̂ the stage reports for this estimate (null when every chain diverged). */
  llcMean: number | null;
  /** SGLD step size ε and noise level σ. */
  lr: number;
  noiseLevel: number;
  /** γ, nβ, burn-in steps and steps between draws, for the warnings' numbers and advice
   * (γ also for the localization radius: without it the distance check is off). */
  localization?: number;
  nbeta?: number;
  burnin?: number;
  thin?: number;
  /** Where each setting is changed (default: the estimate stage's config keys). */
  knobs?: Knobs;
  /** The starting point w₀ (the checkpoint's weights), flat. */
  weights: Float32Array;
  /** Per-draw MALA acceptance probability and distance from w₀, [chains, draws] (NaN where not measured). */
  malaAcceptance?: Float32Array;
  distance?: Float32Array;
  /** The loss at w₀ the llc is measured from: enables the loss-explosion check. */
  initLoss?: number;
  /** How many weights are sampled (default: all of `weights`): λ̂ above d/2 is impossible. */
  dimension?: number;
  /** Minibatch size and the rows of the data: a batch larger than the data is flagged. */
  batch?: { size: number; rows: number; autoNbeta: boolean };
}

/** Mean of the finite values of the kept chains' rows, or null. */
function meanOfRows(values: Float32Array | undefined, draws: number, kept: number[]): number | null {
  if (!values) return null;
  let sum = 0;
  let n = 0;
  for (const c of kept) {
    for (const v of values.subarray(c * draws, (c + 1) * draws)) {
      if (Number.isFinite(v)) {
        sum += v;
        n++;
      }
    }
  }
  return n ? sum / n : null;
}

const fmt = (x: number) => (Math.abs(x) >= 1e6 ? x.toPrecision(3) : String(Number(x.toPrecision(3))));

function rms(w: Float32Array): number {
  let s = 0;
  for (const v of w) s += v * v;
  return Math.sqrt(s / w.length);
}

/** The kept chain whose value is largest, with that value. */
function largest(values: number[], kept: number[]): { chain: number; value: number } | null {
  if (!values.length) return null;
  const i = values.indexOf(Math.max(...values));
  return { chain: kept[i]!, value: values[i]! };
}

/** Each kept chain's mean loss over its last half of draws against init_loss (null when
 * init_loss is not positive), and the largest such ratio among chains that also grew past
 * LOSS_GROWTH_LIMIT times their first half. */
function lossAgainstInit(loss: Float32Array[], kept: number[], initLoss: number) {
  const halfMeans = loss.map((row) => {
    const h = Math.floor(row.length / 2);
    return { first: mean(row.subarray(0, Math.max(h, 1))), last: mean(row.subarray(h)) };
  });
  const ratios = halfMeans.map((m) => m.last / initLoss);
  const growing = ratios.map((r, i) => (halfMeans[i]!.last > LOSS_GROWTH_LIMIT * halfMeans[i]!.first ? r : -Infinity));
  return { highest: largest(ratios, kept), growing: largest(growing, kept) };
}

/**
 * The standard error of λ̂, the mean of the kept chains' llc means. The chains are
 * independent, so with two or more it is their std/√chains — which, unlike an
 * autocorrelation model, also holds for minibatch losses, anticorrelated within a pass
 * over the data. One chain: the sd of its draws over √ESS (the llc trace is affine in the
 * loss, so the loss traces' ESS is its ESS too).
 */
function standardError(llc: Float32Array[], ess: number | null): number | null {
  if (llc.length > 1) return Math.sqrt(variance(llc.map(mean)) / llc.length);
  const draws = llc[0]?.length ?? 0;
  return ess !== null && draws > 1 ? Math.sqrt(variance(llc[0]!) / ess) : null;
}

function isFiniteRow(row: Float32Array): boolean {
  return row.every(Number.isFinite);
}

/** Chains that are neither marked diverged nor hold a non-finite loss or llc. */
function keptChains(h: HealthInput): number[] {
  const marked = new Set(h.diverged.map((d) => d.chain));
  return Array.from({ length: h.chains }, (_, c) => c).filter(
    (c) => !marked.has(c) && isFiniteRow(h.loss.subarray(c * h.draws, (c + 1) * h.draws)) && isFiniteRow(h.llc.subarray(c * h.draws, (c + 1) * h.draws)),
  );
}

/**
 * How far from w₀ a chain gets where the loss is flat: each coordinate of w − w₀ then
 * follows w ← w − (ε/2)γ(w − w₀) + √ε·σ·ξ, an AR(1) whose stationary variance is
 * σ²/(γ(1 − εγ/4)) (and which approaches it from 0, so it is never exceeded on the way),
 * so |w − w₀| ≈ √d times its square root. At a minimum the loss only pulls back harder
 * (variance σ²/(nβ·h + γ) along curvature h), so a chain beyond this is pushed away by
 * the loss. Null where γ = 0 (nothing holds the chain) or εγ ≥ 4 (the pull overshoots).
 */
export function localizationRadius(dimension: number, lr: number, noiseLevel: number, localization: number): number | null {
  if (!(localization > 0) || lr * localization >= 4) return null;
  return noiseLevel * Math.sqrt(dimension / (localization * (1 - (lr * localization) / 4)));
}

export function estimateHealth(h: HealthInput): EstimateHealth {
  if (h.loss.length !== h.chains * h.draws || h.llc.length !== h.chains * h.draws) {
    throw new Error(`${h.label}: traces hold ${h.loss.length} loss and ${h.llc.length} llc values, expected ${h.chains} chains × ${h.draws} draws`);
  }
  const kept = keptChains(h);
  const loss = rowsOf(h.loss, h.draws, kept);
  const llc = rowsOf(h.llc, h.draws, kept);
  const rHat = kept.length ? splitRhat(loss) : null;
  const ess = kept.length ? effectiveSampleSize(splitChains(loss)) : null;
  const halves = kept.length ? stationarity(llc) : null;
  const noise = Math.sqrt(h.lr) * h.noiseLevel;
  const weightRms = rms(h.weights);
  // Recorded (the report shows it) but not warned about: one step's noise against |w| says
  // nothing about where the chains go — γ and nβ decide that (localizationRadius). JSON has
  // no Infinity, so all-zero weights (a singular point w = 0) record the largest number.
  const noiseRatio = weightRms > 0 ? noise / weightRms : noise > 0 ? Number.MAX_VALUE : 0;
  const divergedCount = h.chains - kept.length;
  const acceptance = meanOfRows(h.malaAcceptance, h.draws, kept);
  const lastDistances = h.distance ? kept.map((c) => h.distance![(c + 1) * h.draws - 1]!).filter(Number.isFinite) : [];
  const lastDistance = lastDistances.length ? mean(lastDistances) : null;
  const draws = kept.length * h.draws;
  const llcSe = standardError(llc, ess);
  const againstInit = h.initLoss !== undefined && h.initLoss > 0 ? lossAgainstInit(loss, kept, h.initLoss) : null;
  const explosion = againstInit?.growing;
  const dimension = h.dimension ?? h.weights.length;

  const k = h.knobs ?? STAGE_KNOBS.estimate;
  const lowerLr = `lower ε (${knob(k.lr, fmt(h.lr))})`;
  const raiseGamma = h.localization === undefined ? 'raise γ' : `raise γ (${knob(k.localization, fmt(h.localization))})`;
  const moreDraws = `more draws (${knob(k.draws, h.draws)})`;
  const moreBurnin = k.burnin === null ? null : `more burn-in (${knob(k.burnin, h.burnin ?? 0)})`;
  const radius = h.localization === undefined ? null : localizationRadius(dimension, h.lr, h.noiseLevel, h.localization);

  const warnings: string[] = [];
  const warn = (text: string) => warnings.push(`${h.label}: ${text}`);
  if (divergedCount === h.chains) warn(`all ${h.chains} chains diverged (NaN or infinite loss): there is no λ̂ — ${lowerLr}`);
  else if (divergedCount > 0) warn(`${divergedCount} of ${h.chains} chains diverged (NaN or infinite loss); λ̂ comes from the other ${kept.length} — ${lowerLr} until none diverges`);
  if (h.llcMean !== null && h.llcMean < 0) {
    warn(`λ̂ = ${fmt(h.llcMean)} is negative: the chains found lower loss than the checkpoint's own, so it is not a local minimum of the localized posterior and λ̂ means nothing here — ${raiseGamma} to keep the chains where w₀ is the minimum, or ${lowerLr}; if it stays negative, w₀ is not near a minimum (train longer)`);
  }
  if (rHat !== null && rHat > R_HAT_LIMIT) {
    const chains = h.chains > 1 ? '' : `, or more chains (${knob(k.chains, h.chains)}) to compare`;
    warn(`split-R̂ = ${fmt(rHat)} (above ${R_HAT_LIMIT}): the chains, or the halves of a chain, disagree — they have not mixed: ${moreDraws}${moreBurnin ? ` or ${moreBurnin}` : ''}${chains}`);
  }
  if (ess !== null && ess < ESS_RATIO_LIMIT * draws) {
    const thin = k.thin === null ? '' : ` — space the draws apart (${knob(k.thin, h.thin ?? 1)}) or take ${moreDraws}`;
    warn(`effective sample size ${fmt(ess)} of ${draws} draws (below ${ESS_RATIO_LIMIT * 100}%): the draws are strongly autocorrelated and λ̂ rests on few independent values${thin || ` — take ${moreDraws}`}`);
  }
  if (halves?.nonstationary) {
    const fix = moreBurnin ? `${moreBurnin} or ${moreDraws}` : `take ${moreDraws}`;
    warn(`the llc trace drifts from ${fmt(halves.first)} (first half) to ${fmt(halves.second)} (second half), ${fmt(Math.abs(halves.z))} standard errors apart: the chains are not stationary — ${fix}`);
  }
  if (acceptance !== null && acceptance < MALA_ACCEPTANCE_LIMIT) {
    warn(`the MALA acceptance probability averages ${fmt(acceptance)} (devinterp's authors aim for ~0.9, warned below ${MALA_ACCEPTANCE_LIMIT}): the SGLD steps are too coarse for this posterior — ${lowerLr}`);
  }
  if (explosion && explosion.value > LOSS_EXPLOSION_LIMIT) {
    warn(`the loss exploded: chain ${explosion.chain} averages ${fmt(explosion.value)}× init_loss over its last half of draws (above ${LOSS_EXPLOSION_LIMIT}×), more than ${LOSS_GROWTH_LIMIT}× its first half: it is still climbing away from w₀, and λ̂ describes where it wandered — ${lowerLr} or ${raiseGamma}`);
  }
  // A regular model's λ is d/2 exactly, so only an excess beyond the noise is flagged.
  if (h.llcMean !== null && llcSe !== null && h.llcMean > dimension / 2 + BOUND_SE * llcSe) {
    warn(`λ̂ = ${fmt(h.llcMean)} is more than ${BOUND_SE} standard errors (${fmt(llcSe)}) above d/2 = ${fmt(dimension / 2)} for the d = ${dimension} sampled weights, and no model with d weights has a learning coefficient above d/2: the loss rose further above init_loss than a local posterior allows — ${lowerLr} or ${raiseGamma}`);
  }
  if (h.batch && h.batch.size > h.batch.rows) {
    const nbeta = h.batch.autoNbeta ? `, and nβ = auto (m/ln m) was computed from m = ${h.batch.size}, not from the ${h.batch.rows} rows each minibatch holds` : '';
    warn(`the batch size ${h.batch.size} is larger than the data's ${h.batch.rows} rows: every minibatch is the whole dataset${nbeta} — use a batch size of at most ${h.batch.rows} (${knob(k.batchSize, h.batch.size)})`);
  }
  if (radius !== null && lastDistance !== null && lastDistance > WANDER_LIMIT * radius) {
    const pull = h.nbeta === undefined ? 'the loss' : `the loss's gradient (nβ = ${fmt(h.nbeta)} times it)`;
    warn(`the chains end |w − w₀| = ${fmt(lastDistance)} from w₀, ${fmt(lastDistance / radius)}× the ${fmt(radius)} a chain reaches where the loss is flat (√(d·σ²/(γ(1 − εγ/4))) with d = ${dimension}, γ = ${fmt(h.localization!)}, σ = ${fmt(h.noiseLevel)}, ε = ${fmt(h.lr)}; warned above ${WANDER_LIMIT}×): ${pull} pushes them away from w₀ and λ̂ describes somewhere else — ${raiseGamma} or ${lowerLr}`);
  }

  return {
    label: h.label,
    chains: h.chains,
    draws: h.draws,
    r_hat: rHat,
    ess,
    llc_se: llcSe,
    llc_mean: h.llcMean,
    negative_llc: h.llcMean !== null && h.llcMean < 0,
    diverged_chains: divergedCount,
    first_half_llc: halves?.first ?? null,
    second_half_llc: halves?.second ?? null,
    nonstationary: halves?.nonstationary ?? false,
    noise_to_weight_rms: noiseRatio,
    mala_acceptance: acceptance,
    final_distance: lastDistance,
    ...(h.localization !== undefined ? { localization_radius: radius } : {}),
    ...(h.initLoss !== undefined ? { loss_to_init: againstInit?.highest?.value ?? null } : {}),
    warnings,
  };
}

/** health.json's content. */
export function healthFile(estimates: EstimateHealth[]): Health {
  return { schema: HEALTH_SCHEMA_ID, schema_version: HEALTH_SCHEMA_VERSION, estimates };
}
