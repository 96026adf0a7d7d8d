// The notebook's claims, made measurable. Each claim gets a test with stated thresholds, the
// numbers behind it and a verdict — supported, contradicted, or cannot tell (and why) —
// every word derived from the data. Pure functions of the curves, so tests can feed
// synthetic ones.
//
// Phases of one training run, from its train/test MAE (evaluations):
//   memorisation  from the start until test − train MAE first reaches DONE_FRACTION of its
//                 widest, when at its widest train MAE ≤ MEMORISED_RATIO × test MAE and the
//                 gap is at least GAP_OF_CONSTANT × the constant predictor's test MAE (train
//                 error fell, test error stayed);
//   generalisation from there until DONE_FRACTION of the test MAE's fall to its final value
//                 is done, when the final test MAE is at most LEARNED_OF_CONSTANT × the
//                 constant's (the model learned the task);
//   after         the rest, once it has generalised (both flat, if the run has settled).
// λ̂'s trend in a phase is its change across the phase: the least-squares slope of λ̂ against
// the phase's own time (0 at its start, 1 at its end) over the checkpoints inside it, with the
// slope's standard error from the residuals (with two checkpoints, from their λ̂'s standard
// errors). Pooled over seeds: the mean of the seeds' changes, its standard error the sd
// across seeds/√seeds with three seeds or more (the seed-to-seed spread), else from the
// seeds' own standard errors.
import { interval95, mean, pearson, variance } from '../../pipeline/lib/util/moments.ts';
import { Pcg32 } from '../../pipeline/lib/util/prng.ts';

/** Memorised: train MAE at most this fraction of test MAE … */
export const MEMORISED_RATIO = 0.5;
/** … with test − train at least this fraction of the constant predictor's test MAE. */
export const GAP_OF_CONSTANT = 0.25;
/** Learned (generalised): final test MAE at most this fraction of the constant's. */
export const LEARNED_OF_CONSTANT = 0.25;
/** Memorisation ends where the gap reaches this fraction of its widest; generalisation ends
 * where this fraction of the test MAE's fall is done. */
export const DONE_FRACTION = 0.9;
/** A trend counts as a rise or fall at |change| ≥ this many standard errors. */
export const Z_TREND = 2;
/** "Flattens": the change after generalisation is within the noise or below this fraction of
 * the change during it. */
export const FLAT_FRACTION = 0.25;
/** λ̂ "tracks" the test loss: noise-corrected Pearson r at least this (its 95% interval's
 * lower end for supported, its upper end below it for contradicted). */
export const TRACKS_R = 0.5;
/** Robust to the seed: at least this fraction of seeds show the pooled pattern … */
export const SEED_AGREEMENT = 0.75;
/** … of at least this many seeds. */
export const MIN_SEEDS = 3;
/** Bootstrap resamples for the correlation's interval (seeded: the report is reproducible). */
export const BOOTSTRAP = 2000;

export type Verdict = 'supported' | 'contradicted' | 'cannot tell';
export type PhaseName = 'memorisation' | 'generalisation' | 'after';
export const PHASES: readonly PhaseName[] = ['memorisation', 'generalisation', 'after'];

export interface EvalRow {
  step: number;
  train_mae: number;
  test_mae: number;
  test_mse: number;
}

export interface LlcPoint {
  step: number;
  llc: number;
  se: number | null;
}

export interface SeedCurves {
  seed: number;
  rows: EvalRow[];
  llc: LlcPoint[];
}

export interface Span {
  from: number;
  to: number;
}

export interface SeedPhases {
  seed: number;
  memorisation: Span | null;
  generalisation: Span | null;
  after: Span | null;
  /** Final test MAE / the constant predictor's. */
  finalToConstant: number;
  /** Widest test − train MAE, at its step, over the constant's test MAE. */
  widestGap: { step: number; gap: number; trainToTest: number };
  /** Why a phase is missing, in words. */
  notes: string[];
}

export interface Trend {
  phase: PhaseName;
  /** λ̂ at the phase's end minus at its start, from the fitted line; null without two checkpoints. */
  change: number | null;
  se: number | null;
  checkpoints: number;
}

export interface PooledTrend {
  phase: PhaseName;
  change: number | null;
  se: number | null;
  /** Seeds that have the phase with a measured change. */
  seeds: number;
}

export interface Claim {
  id: 'llc-phases' | 'llc-tracks-test-loss' | 'seed-robust';
  /** The notebook's words. */
  quote: string;
  /** How this report tests it, with its thresholds. */
  test: string;
  /** The numbers behind the verdict, as sentences. */
  evidence: string[];
  verdict: Verdict;
  /** Why this verdict, in one sentence. */
  because: string;
}

export interface ClaimsResult {
  phases: SeedPhases[];
  trends: { seed: number; trends: Trend[] }[];
  pooled: PooledTrend[];
  correlation: Correlation | null;
  claims: Claim[];
}

const fmt = (x: number, digits = 3) => String(Number(x.toPrecision(digits)));
const pm = (x: number | null, se: number | null) => (x === null ? 'not measured' : `${fmt(x)}${se === null ? '' : ` ± ${fmt(se, 2)}`}`);

/** The phases of one run. */
export function phasesOf(c: SeedCurves, constantMae: number): SeedPhases {
  const rows = c.rows;
  const last = rows[rows.length - 1]!;
  const first = rows[0]!;
  const widest = rows.reduce((a, r) => (r.test_mae - r.train_mae > a.test_mae - a.train_mae ? r : a), first);
  const gap = widest.test_mae - widest.train_mae;
  const notes: string[] = [];
  const memorised = widest.train_mae <= MEMORISED_RATIO * widest.test_mae && gap >= GAP_OF_CONSTANT * constantMae;
  if (!memorised) notes.push(`no memorisation: test − train MAE is widest at step ${widest.step} (${fmt(gap)}, ${fmt(gap / constantMae)} of the constant's MAE; train/test ${fmt(widest.train_mae / widest.test_mae)}), short of ${GAP_OF_CONSTANT} and ${MEMORISED_RATIO}`);
  const learned = last.test_mae <= LEARNED_OF_CONSTANT * constantMae;
  if (!learned) notes.push(`no generalisation: the final test MAE is ${fmt(last.test_mae / constantMae)} of the constant's, above ${LEARNED_OF_CONSTANT}`);
  const memorisedAt = rows.find((r) => r.test_mae - r.train_mae >= DONE_FRACTION * gap) ?? widest;
  const start = memorised ? memorisedAt : first;
  let generalisation: Span | null = null;
  if (learned) {
    const fall = start.test_mae - last.test_mae;
    const done = rows.find((r) => r.step >= start.step && start.test_mae - r.test_mae >= DONE_FRACTION * fall) ?? last;
    generalisation = { from: memorised ? start.step : 0, to: done.step };
  }
  const memorisation = memorised ? { from: 0, to: memorisedAt.step } : null;
  // "After" is after generalisation: a run that never generalises has none.
  const after = generalisation && generalisation.to < last.step ? { from: generalisation.to, to: last.step } : null;
  return {
    seed: c.seed,
    memorisation,
    generalisation,
    after,
    finalToConstant: last.test_mae / constantMae,
    widestGap: { step: widest.step, gap: gap / constantMae, trainToTest: widest.train_mae / widest.test_mae },
    notes,
  };
}

/** Least-squares change of λ̂ across a span (time rescaled to [0, 1]), with its standard error. */
export function trendIn(points: readonly LlcPoint[], span: Span, phase: PhaseName): Trend {
  const inside = points.filter((p) => p.step >= span.from && p.step <= span.to);
  if (inside.length < 2 || span.to <= span.from) return { phase, change: null, se: null, checkpoints: inside.length };
  const u = inside.map((p) => (p.step - span.from) / (span.to - span.from));
  const y = inside.map((p) => p.llc);
  const mu = mean(u);
  const my = mean(y);
  const suu = u.reduce((a, x) => a + (x - mu) ** 2, 0);
  if (suu === 0) return { phase, change: null, se: null, checkpoints: inside.length };
  const slope = u.reduce((a, x, i) => a + (x - mu) * (y[i]! - my), 0) / suu;
  let se: number | null;
  if (inside.length > 2) {
    const resid = y.reduce((a, yi, i) => a + (yi - (my + slope * (u[i]! - mu))) ** 2, 0);
    se = Math.sqrt(resid / (inside.length - 2) / suu);
  } else {
    const [a, b] = inside;
    se = a!.se !== null && b!.se !== null ? Math.hypot(a!.se, b!.se) / Math.abs(u[1]! - u[0]!) : null;
  }
  return { phase, change: slope, se, checkpoints: inside.length };
}

/** The seeds' changes in one phase, pooled. */
export function pool(phase: PhaseName, trends: readonly Trend[]): PooledTrend {
  const measured = trends.filter((t): t is Trend & { change: number } => t.phase === phase && t.change !== null);
  if (measured.length === 0) return { phase, change: null, se: null, seeds: 0 };
  const changes = measured.map((t) => t.change);
  const m = mean(changes);
  let se: number | null;
  if (measured.length >= 3) se = Math.sqrt(variance(changes) / measured.length);
  else se = measured.every((t) => t.se !== null) ? Math.sqrt(measured.reduce((a, t) => a + t.se! ** 2, 0)) / measured.length : null;
  return { phase, change: m, se, seeds: measured.length };
}

type Direction = 'rises' | 'falls' | 'flat' | 'unclear' | 'unmeasured';

/** Which way λ̂ moves in a phase, judged against its standard error. */
export function direction(change: number | null, se: number | null, reference?: number | null): Direction {
  if (change === null) return 'unmeasured';
  // Flattening is judged against the change it follows: a small remainder of it is flat.
  if (reference !== undefined && reference !== null && Math.abs(change) <= FLAT_FRACTION * Math.abs(reference)) return 'flat';
  if (se !== null && se > 0) {
    const z = change / se;
    if (z >= Z_TREND) return 'rises';
    if (z <= -Z_TREND) return 'falls';
    return 'flat';
  }
  if (se === 0 && change !== 0) return change > 0 ? 'rises' : 'falls';
  return 'unclear';
}

/** Claim 1's verdict for one set of changes (pooled, or one seed's). */
function phasesVerdict(mem: { change: number | null; se: number | null }, gen: { change: number | null; se: number | null }, after: { change: number | null; se: number | null }): { verdict: Verdict; because: string } {
  const dm = direction(mem.change, mem.se);
  const dg = direction(gen.change, gen.se);
  const da = direction(after.change, after.se, gen.change);
  if (dm === 'falls') return { verdict: 'contradicted', because: 'λ̂ falls during memorisation, where the claim has it rise' };
  if (dg === 'rises') return { verdict: 'contradicted', because: 'λ̂ rises during generalisation, where the claim has it fall' };
  if (dm === 'unmeasured') return { verdict: 'cannot tell', because: 'there is no memorisation phase with two checkpoints to measure λ̂ in' };
  if (dg === 'unmeasured') return { verdict: 'cannot tell', because: 'there is no generalisation phase with two checkpoints to measure λ̂ in' };
  if (dm !== 'rises') return { verdict: 'cannot tell', because: "λ̂'s change during memorisation is within its noise" };
  if (dg !== 'falls') return { verdict: 'cannot tell', because: "λ̂'s change during generalisation is within its noise" };
  if (da === 'rises' || da === 'falls') return { verdict: 'contradicted', because: `λ̂ rises during memorisation and falls during generalisation, but keeps ${da === 'rises' ? 'rising' : 'falling'} after it instead of flattening` };
  if (da === 'unmeasured') return { verdict: 'supported', because: 'λ̂ rises during memorisation and falls during generalisation (the run ends as generalisation does, so the flattening after it is not seen)' };
  return { verdict: 'supported', because: 'λ̂ rises during memorisation, falls during generalisation and is flat after it' };
}

export interface Correlation {
  pairs: number;
  r: number;
  /** r corrected for λ̂'s own noise (attenuation), and its reliability (var(true λ̂)/var(λ̂)). */
  corrected: number | null;
  reliability: number;
  /** 95% bootstrap interval of the corrected r (seeds, then checkpoints within seeds, resampled). */
  interval: [number, number] | null;
  perSeed: { seed: number; r: number | null; pairs: number }[];
}

interface Pair {
  seed: number;
  llc: number;
  se: number | null;
  loss: number;
}

/** Pearson r and its noise correction: the λ̂ have sampling variance mean(se²), so
 * var(true λ̂) = var(λ̂) − mean(se²) and r_true = r / √reliability (test loss is measured on
 * the whole test split: its own noise is neglected). */
function corrected(pairs: readonly Pair[]): { r: number | null; corrected: number | null; reliability: number } {
  const r = pearson(pairs.map((p) => p.llc), pairs.map((p) => p.loss));
  const v = variance(pairs.map((p) => p.llc));
  const ses = pairs.flatMap((p) => (p.se === null ? [] : [p.se * p.se]));
  const noise = ses.length ? mean(ses) : 0;
  const reliability = v > 0 ? Math.max(0, 1 - noise / v) : 0;
  return { r, corrected: r === null || reliability === 0 ? null : Math.max(-1, Math.min(1, r / Math.sqrt(reliability))), reliability };
}

export function correlate(curves: readonly SeedCurves[]): Correlation | null {
  const bySeed = curves.map((c) => {
    const loss = new Map(c.rows.map((r) => [r.step, r.test_mse]));
    return c.llc.filter((p) => loss.has(p.step)).map((p): Pair => ({ seed: c.seed, llc: p.llc, se: p.se, loss: loss.get(p.step)! }));
  });
  const all = bySeed.flat();
  const base = corrected(all);
  if (base.r === null) return null;
  const rng = new Pcg32(0, 0xc1a1);
  const draws: number[] = [];
  for (let b = 0; b < BOOTSTRAP; b++) {
    const sample: Pair[] = [];
    for (let s = 0; s < bySeed.length; s++) {
      const seed = bySeed[rng.below(bySeed.length)]!;
      for (let k = 0; k < seed.length; k++) sample.push(seed[rng.below(seed.length)]!);
    }
    const c = corrected(sample).corrected;
    if (c !== null) draws.push(c);
  }
  const interval = draws.length >= BOOTSTRAP / 2 ? interval95(draws) : null;
  return {
    pairs: all.length,
    r: base.r,
    corrected: base.corrected,
    reliability: base.reliability,
    interval,
    perSeed: bySeed.map((pairs, i) => ({ seed: curves[i]!.seed, r: pearson(pairs.map((p) => p.llc), pairs.map((p) => p.loss)), pairs: pairs.length })),
  };
}

interface Tally {
  /** Outcomes and their counts, most common first; `decisive` without 'cannot tell'. */
  counts: [string, number][];
  decisive: [string, number][];
  top: [string, number] | undefined;
  text: string;
}

function tally(outcomes: readonly string[]): Tally {
  const m = new Map<string, number>();
  for (const o of outcomes) m.set(o, (m.get(o) ?? 0) + 1);
  const counts = [...m].sort((a, b) => b[1] - a[1]);
  return { counts, decisive: counts.filter(([o]) => o !== 'cannot tell'), top: counts[0], text: counts.map(([o, k]) => `${k} ${o}`).join(', ') };
}

export function evaluateClaims(curves: readonly SeedCurves[], constantMae: number): ClaimsResult {
  const phases = curves.map((c) => phasesOf(c, constantMae));
  const trends = curves.map((c, i) => ({
    seed: c.seed,
    trends: PHASES.map((phase) => {
      const span = phases[i]![phase];
      return span ? trendIn(c.llc, span, phase) : { phase, change: null, se: null, checkpoints: 0 };
    }),
  }));
  const pooled = PHASES.map((phase) => pool(phase, trends.flatMap((t) => t.trends)));
  const [mem, gen, after] = pooled as [PooledTrend, PooledTrend, PooledTrend];
  const n = curves.length;
  const withMem = phases.filter((p) => p.memorisation).length;
  const withGen = phases.filter((p) => p.generalisation).length;

  // Claim 1.
  const phaseWords = (p: PooledTrend) => `${p.phase}: ${pm(p.change, p.se)}${p.seeds ? ` (${p.seeds} of ${n} seed${n === 1 ? '' : 's'})` : ''}`;
  let c1 = phasesVerdict(mem, gen, after);
  if (withMem === 0 && withGen === 0) c1 = { verdict: 'cannot tell', because: `the model neither memorises nor learns the task in any of the ${n} run${n === 1 ? '' : 's'}, so there are no phases to look at λ̂ in` };
  else if (withMem === 0) c1 = { verdict: 'cannot tell', because: `no run has a memorisation phase (${phases[0]!.notes[0] ?? ''})` };
  const claim1: Claim = {
    id: 'llc-phases',
    quote: 'The LLC first increases during memorization and then decreases ~smoothly afterward, flattening out after the model is done grokking.',
    test: `Phases from each run's train/test MAE: memorisation until test − train MAE first reaches ${DONE_FRACTION * 100}% of its widest, if at its widest train MAE ≤ ${MEMORISED_RATIO} × test MAE and the gap is ≥ ${GAP_OF_CONSTANT} × the constant predictor's test MAE; generalisation until ${DONE_FRACTION * 100}% of the test MAE's fall is done, if the final test MAE ≤ ${LEARNED_OF_CONSTANT} × the constant's; after, the rest. λ̂'s change across each phase is a least-squares line through its checkpoints, pooled over seeds (± standard error). Rises or falls at ≥ ${Z_TREND} standard errors; flat after generalisation if within the noise or below ${FLAT_FRACTION * 100}% of the change during it.`,
    evidence: [
      `Memorisation found in ${withMem} of ${n} runs, generalisation in ${withGen} of ${n}.`,
      `Change of λ̂ across each phase, pooled: ${[mem, gen, after].map(phaseWords).join('; ')}.`,
      ...phases.flatMap((p) => (p.notes.length ? [`Seed ${p.seed}: ${p.notes.join('; ')}.`] : [])),
    ],
    ...c1,
  };

  // Claim 2.
  const corr = correlate(curves);
  let c2: { verdict: Verdict; because: string };
  if (!corr || corr.corrected === null || !corr.interval) c2 = { verdict: 'cannot tell', because: corr ? "λ̂'s spread across checkpoints is no larger than its own noise, so no correlation can be measured" : 'fewer than three checkpoints have both a λ̂ and an evaluation' };
  else if (corr.interval[0] >= TRACKS_R) c2 = { verdict: 'supported', because: `the noise-corrected r's 95% interval lies above ${TRACKS_R}` };
  else if (corr.interval[1] < TRACKS_R) c2 = { verdict: 'contradicted', because: `the noise-corrected r's 95% interval lies below ${TRACKS_R}${corr.interval[1] < 0 ? ': λ̂ moves against the test loss' : ''}` };
  else c2 = { verdict: 'cannot tell', because: `the noise-corrected r's 95% interval [${fmt(corr.interval[0], 2)}, ${fmt(corr.interval[1], 2)}] straddles ${TRACKS_R}` };
  const claim2: Claim = {
    id: 'llc-tracks-test-loss',
    quote: 'The LLC, measured only on the train set, tracks the test loss pretty well.',
    test: `Pearson r between λ̂ and the test loss (MSE) over every checkpoint with an evaluation, all seeds pooled; corrected for λ̂'s sampling noise (r / √reliability, reliability = 1 − mean(se²)/var(λ̂)); 95% interval by bootstrap (${BOOTSTRAP} resamples of seeds, then of checkpoints within them). Supported when the interval lies above ${TRACKS_R}, contradicted when it lies below.`,
    evidence: corr
      ? [
          `${corr.pairs} checkpoints: r = ${fmt(corr.r, 2)}; reliability of λ̂ ${fmt(corr.reliability, 2)}; corrected r = ${corr.corrected === null ? 'undefined' : fmt(corr.corrected, 2)}${corr.interval ? `, 95% interval [${fmt(corr.interval[0], 2)}, ${fmt(corr.interval[1], 2)}]` : ''}.`,
          `Per seed: ${corr.perSeed.map((s) => `seed ${s.seed} r = ${s.r === null ? 'n/a' : fmt(s.r, 2)} (${s.pairs} checkpoints)`).join('; ')}.`,
        ]
      : ['Fewer than three checkpoints have both a λ̂ and an evaluation.'],
    ...c2,
  };

  // Claim 3: the same patterns seed by seed.
  const perSeed1 = trends.map((t) => {
    const [m, g, a] = t.trends as [Trend, Trend, Trend];
    return { seed: t.seed, ...phasesVerdict(m, g, a) };
  });
  const perSeed2 = (corr?.perSeed ?? []).filter((s) => s.r !== null).map((s) => ({ seed: s.seed, tracks: s.r! >= TRACKS_R }));
  const phase1 = tally(perSeed1.map((s) => s.verdict));
  const tracking = tally(perSeed2.map((s) => (s.tracks ? 'tracks' : 'does not track')));
  const split = (t: Tally) => t.decisive.length > 1 && t.decisive[1]![1] >= (1 - SEED_AGREEMENT) * n;
  let c3: { verdict: Verdict; because: string };
  if (n < MIN_SEEDS) c3 = { verdict: 'cannot tell', because: `${n} training seed${n === 1 ? '' : 's'}: at least ${MIN_SEEDS} are needed to say (train.seeds)` };
  else if (split(phase1) || split(tracking)) {
    const which = split(phase1) ? `the phase claim (${phase1.text})` : `the tracking claim (${tracking.text})`;
    c3 = { verdict: 'contradicted', because: `the seeds disagree on ${which}` };
  } else if (phase1.top?.[0] !== 'cannot tell' && phase1.top![1] >= SEED_AGREEMENT * n && tracking.top && tracking.top[1] >= SEED_AGREEMENT * n) {
    // The seeds agree with one another; the behaviour the notebook calls robust is the one
    // it describes, so agreement on the opposite contradicts it.
    const claimed = phase1.top![0] === 'supported' && tracking.top[0] === 'tracks';
    c3 = claimed
      ? { verdict: 'supported', because: `at least ${Math.ceil(SEED_AGREEMENT * n)} of ${n} seeds show the claimed behaviour (${phase1.text}; ${tracking.text})` }
      : { verdict: 'contradicted', because: `the seeds agree with one another (${phase1.text}; ${tracking.text}), but on a behaviour other than the notebook's: what is robust to the seed is its absence` };
  } else c3 = { verdict: 'cannot tell', because: `too few seeds have a verdict of their own on the phase claim to compare (${phase1.text})` };
  const claim3: Claim = {
    id: 'seed-robust',
    quote: 'This behaviour is robust to change of seed.',
    test: `Each claim judged seed by seed with the same rules (a seed's λ̂ tracks the test loss at r ≥ ${TRACKS_R}); supported when at least ${SEED_AGREEMENT * 100}% of ≥ ${MIN_SEEDS} seeds show the claimed behaviour; contradicted when opposite verdicts each come from at least ${(1 - SEED_AGREEMENT) * 100}% of the seeds, or when the seeds agree on another behaviour.`,
    evidence: [
      `Phase claim per seed: ${perSeed1.map((s) => `seed ${s.seed} ${s.verdict}`).join('; ')}.`,
      ...(perSeed2.length ? [`Tracking per seed: ${perSeed2.map((s) => `seed ${s.seed} ${s.tracks ? 'tracks' : 'does not track'}`).join('; ')}.`] : []),
    ],
    ...c3,
  };
  return { phases, trends, pooled, correlation: corr, claims: [claim1, claim2, claim3] };
}
