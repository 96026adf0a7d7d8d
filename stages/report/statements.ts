// Plain statements derived from the run's numbers — what a reader would otherwise have to
// read off the charts. Every number and every comparison word comes from the data; the
// thresholds that turn numbers into words are named below.
import type { CheckpointEstimate, Estimates } from '../../schemas/estimate.ts';
import type { EstimateHealth } from '../../schemas/health.ts';
import { meanTrace } from './charts/calibration.ts';
import { median, variance } from '../../pipeline/lib/util/moments.ts';
import { count, duration, int, num, pct } from './format.ts';
import { SAMPLING_STAGES, SHOWN_STAGES, type RunData } from './run-data.ts';
import { calibrationSe, checkpointsWithSe, seNote } from './uncertainty.ts';
import { LEARNED_OF_CONSTANT } from './claims.ts';
import type { MetricsRow } from '../../schemas/training.ts';

/** Train and test MAE "separate" where they differ by more than this fraction of their mean. */
const SEPARATE = 0.1;
/** The model "does no better than a constant" where its test MAE is within this fraction of the constant's. */
const NEAR_CONSTANT = 0.02;
/** A λ̂ curve is readable where its typical (RMS) standard error is at most this fraction of
 * its spread (sd) across checkpoints … */
const READABLE = 0.25;
/** … and too noisy for its shape to mean much from this fraction on. */
const NOISY = 0.5;
/** The ordering of checkpoints survives a change of calibration where Spearman ρ's 95%
 * interval lies above this. */
const ORDER_KEPT = 0.7;
/** How many items a statement lists before it says "and N more". */
const LISTED = 5;

export interface Statement {
  text: string;
  /** Something the reader should check (a divergence, a missing diagnostic, a warning). */
  warn?: boolean;
}

export interface Findings {
  topic: string;
  /** The page section the statements are about. */
  section: string;
  items: Statement[];
}

const say = (text: string, warn = false): Statement => (warn ? { text, warn } : { text });

/** The verb for a count: agree(1, 'has', 'have') → 'has'. */
const agree = (n: number, one: string, many: string) => (n === 1 ? one : many);

function listed<T>(items: T[], show: (t: T) => string): string {
  const head = items.slice(0, LISTED).map(show).join('; ');
  return items.length > LISTED ? `${head}; and ${items.length - LISTED} more` : head;
}

function extreme<T>(items: T[], key: (t: T) => number, sign: 1 | -1): T {
  return items.reduce((best, t) => (sign * key(t) > sign * key(best) ? t : best));
}

/** "12% lower" / "3.1% higher" for a value against a reference. */
function relative(value: number, reference: number): string {
  const r = (value - reference) / reference;
  return `${pct(Math.abs(r))} ${r < 0 ? 'lower' : 'higher'}`;
}

function divergences(what: string, items: { where: string; d: CheckpointEstimate['diverged'][number] }[], chains: number): Statement {
  if (items.length === 0) return say(`No ${what} chain diverged (${int(chains)} chains).`);
  return say(`${items.length} of ${int(chains)} ${what} chains diverged (their loss became NaN or infinite) and are left out of every mean: ${listed(items, ({ where, d }) => `${where}, chain ${d.chain} at SGLD step ${d.step}`)}.`, true);
}

function training(d: RunData): Statement[] {
  const { model, baseline } = d;
  if (!d.metrics || !model || !baseline) return [];
  const runs = d.metrics;
  const out: Statement[] = [];
  out.push(
    model.dropout > 0
      ? say(`Training ran in train mode throughout: dropout p = ${model.dropout} was on for all ${int(d.config.train.steps)} steps; the evaluations (every ${int(d.config.train.eval_every)} steps and at every checkpoint) ran in eval mode, without dropout. The notebook switched to eval mode at its first evaluation and never switched back; this run does not.`)
      : say(`Training ran without dropout (p = 0) for ${int(d.config.train.steps)} steps${runs.length > 1 ? `, once for each of ${runs.length} training seeds (${runs.map((m) => m.seed).join(', ')})` : ''}.`),
  );
  const finals = runs.flatMap((m) => (m.rows.length ? [{ seed: m.seed, last: m.rows.at(-1)!, best: extreme(m.rows, (r) => r.test_mae, -1) }] : []));
  const learned = finals.filter((f) => f.last.test_mae <= LEARNED_OF_CONSTANT * baseline.medianTestMae);
  const c = baseline.medianTestMae;
  const who = (f: (typeof finals)[number]) => (finals.length > 1 ? `seed ${f.seed}: ` : '');
  if (finals.length) {
    out.push(
      learned.length === finals.length
        ? say(`The model learns the task${finals.length > 1 ? ` in all ${finals.length} runs` : ''}: the final test MAE is ${listed(finals, (f) => `${who(f)}${num(f.last.test_mae)} (${pct(f.last.test_mae / c)} of the constant predictor's ${num(c)})`)} — at most ${pct(LEARNED_OF_CONSTANT)} of it counts as learned.`)
        : learned.length === 0
          ? say(`The model does not learn the task${finals.length > 1 ? ` in any of the ${finals.length} runs` : ''}: its lowest test MAE over training is ${listed(finals, (f) => `${who(f)}${num(f.best.test_mae)} at step ${int(f.best.step)} (${pct(f.best.test_mae / c)} of the constant predictor's ${num(c)})`)}, never down to the ${pct(LEARNED_OF_CONSTANT)} of it that would count as learned.`, true)
          : say(`The model learns the task in ${learned.length} of ${finals.length} runs (seeds ${learned.map((f) => f.seed).join(', ')}: final test MAE at most ${pct(LEARNED_OF_CONSTANT)} of the constant predictor's ${num(c)}); not in ${finals.filter((f) => !learned.includes(f)).map((f) => `seed ${f.seed} (final ${num(f.last.test_mae)})`).join(', ')}.`, true),
    );
  }
  for (const m of runs) out.push(...seedTraining(m.rows, baseline, runs.length > 1 ? `Seed ${m.seed}: ` : ''));
  return out;
}

/** What one training run's evaluations say, each sentence starting with `prefix`. */
function seedTraining(rows: MetricsRow[], baseline: NonNullable<RunData['baseline']>, prefix: string): Statement[] {
  const start = (text: string) => (prefix ? `${prefix}${text}` : `${text[0]!.toUpperCase()}${text.slice(1)}`);
  const last = rows.at(-1);
  if (!last) return [say(start('training recorded no evaluation.'), true)];
  const out: Statement[] = [];
  out.push(say(start(`at the last evaluation (step ${int(last.step)}) the test MAE is ${num(last.test_mae)} (train ${num(last.train_mae)}). Always predicting c = ${num(baseline.median)}, the median training target and the best constant for MAE, gives a test MAE of ${num(baseline.medianTestMae)}: the model's is ${relative(last.test_mae, baseline.medianTestMae)}.`), last.test_mae >= baseline.medianTestMae));
  const best = extreme(rows, (r) => r.test_mae, -1);
  if (best.step !== last.step) out.push(say(start(`the lowest test MAE, ${num(best.test_mae)}, came at step ${int(best.step)}; the final one is ${relative(last.test_mae, best.test_mae)}.`)));

  const gaps = rows.map((r) => ({ step: r.step, gap: r.test_mae - r.train_mae, rel: Math.abs(r.test_mae - r.train_mae) / ((r.test_mae + r.train_mae) / 2) }));
  const widest = extreme(gaps, (g) => Math.abs(g.gap), 1);
  const apart = gaps.filter((g) => g.rel > SEPARATE);
  const widestText = `test − train = ${num(widest.gap)} (${pct(widest.rel)} of their mean) at step ${int(widest.step)}`;
  out.push(
    apart.length === 0
      ? say(start(`train and test MAE never separate by more than ${pct(SEPARATE)}: the widest gap is ${widestText}.`))
      : say(start(`train and test MAE separate by more than ${pct(SEPARATE)} at ${apart.length} of ${rows.length} evaluations, first at step ${int(apart[0]!.step)}; the widest gap is ${widestText}.`)),
  );

  const flat = rows.filter((r) => r.test_mae >= (1 - NEAR_CONSTANT) * baseline.meanTestMae);
  const constant = `always predicting the mean training target c = ${num(baseline.mean)} (test MAE ${num(baseline.meanTestMae)}, MSE ${num(baseline.meanTestMse)}), the constant an MSE-trained model falls back to`;
  out.push(
    flat.length === 0
      ? say(start(`at every evaluation the test MAE is more than ${pct(NEAR_CONSTANT)} below that of ${constant}.`))
      : say(start(`at ${flat.length} of ${rows.length} evaluations (first at step ${int(flat[0]!.step)}) the test MAE is no more than ${pct(NEAR_CONSTANT)} below that of ${constant}: there the model does no better than a constant.`), flat.includes(last)),
  );
  return out;
}

/** How readable the λ̂ curves are: the typical (RMS) standard error of a checkpoint's λ̂
 * against the spread (sd) of λ̂ across the checkpoints of a seed, pooled over seeds. */
function readability(cps: { seed: number; llc_mean: number; llc_se: number | null }[], chains: number): Statement | null {
  const ses = cps.flatMap((x) => (x.llc_se === null ? [] : [x.llc_se]));
  if (cps.length < 3) return null;
  if (ses.length < cps.length) return say(`${cps.length - ses.length} of ${cps.length} λ̂ have no standard error, so how much of the curve is noise is unknown.`, true);
  const noise = Math.sqrt(ses.reduce((a, x) => a + x * x, 0) / ses.length);
  const bySeed = [...new Set(cps.map((x) => x.seed))].map((seed) => cps.filter((x) => x.seed === seed).map((x) => x.llc_mean));
  const spreads = bySeed.filter((v) => v.length >= 2).map((v) => variance(v));
  const spread = Math.sqrt(spreads.reduce((a, v) => a + v, 0) / spreads.length);
  const ratio = noise / spread;
  const verdict = ratio <= READABLE ? `at most ${pct(READABLE)}: the curve's shape stands well above its noise` : ratio < NOISY ? `above the ${pct(READABLE)} a readable curve needs, though its shape shows` : 'so its shape says little';
  const single = chains === 1 ? ' From one chain per checkpoint this se rests on its autocorrelated draws alone; more chains (estimate.num_chains) give an se over independent chains.' : '';
  return say(`Each λ̂ has a standard error of ${num(Math.min(...ses), 2)} to ${num(Math.max(...ses), 2)} (RMS ${num(noise, 2)}, ${seNote(chains)}), against a spread (sd across the checkpoints of a seed, pooled over seeds) of ${num(spread)}: the noise is ${pct(ratio)} of the spread, ${verdict}.${single}`, ratio > READABLE);
}

function llc(d: RunData): Statement[] {
  const { estimates } = d;
  if (!estimates) return [];
  const cps = checkpointsWithSe(d, estimates.checkpoints);
  const valid = cps.filter((c): c is typeof c & { llc_mean: number } => c.llc_mean !== null);
  const c = d.config.estimate;
  const p = estimates.sampler_point;
  const seeds = [...new Set(cps.map((x) => x.seed))];
  const out = [say(`λ̂ of ${cps.length} checkpoints${seeds.length > 1 ? ` (${seeds.length} training seeds)` : ''}, each from ${c.num_chains} chain${c.num_chains > 1 ? 's' : ''} × ${int(c.num_draws)} draws after ${int(c.num_burnin_steps)} burn-in steps with ε = ${num(p.lr)}, nβ = ${num(p.nbeta)} (${p.source}), γ = ${num(c.localization)}, on ${estimates.device}; ± gives the standard error (${seNote(c.num_chains)}).`)];
  if (valid.length === 0) return [...out, say('No checkpoint has a λ̂: every chain diverged.', true)];
  const pm = (x: (typeof valid)[number]) => `${num(x.llc_mean)}${x.llc_se === null ? ' (no standard error)' : ` ± ${num(x.llc_se, 2)}`}`;
  const where = (x: (typeof valid)[number]) => `${seeds.length > 1 ? `seed ${x.seed}, ` : ''}step ${int(x.step)}`;
  const hi = extreme(valid, (x) => x.llc_mean, 1);
  const lo = extreme(valid, (x) => x.llc_mean, -1);
  out.push(say(`λ̂ is largest at ${where(hi)} (${pm(hi)}) and smallest at ${where(lo)} (${pm(lo)}).`));
  const negative = valid.filter((x) => x.llc_mean < 0);
  if (negative.length) {
    out.push(say(`${negative.length} of ${valid.length} checkpoints ${agree(negative.length, 'has', 'have')} a negative λ̂ (${listed(negative, where)}): there the chains found lower loss than at the checkpoint itself.`, true));
  }
  const readable = readability(valid, c.num_chains);
  if (readable) out.push(readable);
  out.push(...ordering(estimates.ordering));
  out.push(divergences('estimate', cps.flatMap((x) => x.diverged.map((dv) => ({ where: where(x as (typeof valid)[number]), d: dv }))), cps.length * c.num_chains));
  return out;
}

/** Whether the order of the checkpoints by λ̂ survives the sweep's neighbouring calibrations. */
function ordering(o: Estimates['ordering'] | undefined): Statement[] {
  if (!o) return [];
  return o.points.map((p) => {
    const at = `ε = ${num(p.epsilon)}, nβ = ${num(p.nbeta)}`;
    if (p.rho === null || !p.interval) return say(`Ordering check at ${at}: no rank correlation could be computed over the ${o.steps.length} checkpoints of seed ${o.seed}.`, true);
    const [lo, hi] = p.interval;
    const verdict = lo >= ORDER_KEPT ? 'the ordering of the checkpoints survives this change of calibration' : hi < ORDER_KEPT ? 'the ordering of the checkpoints does not survive this change of calibration' : `the interval straddles ${ORDER_KEPT}, so whether the ordering survives cannot be told`;
    return say(`Ordering check: λ̂ at ${o.steps.length} checkpoints of seed ${o.seed} (steps ${o.steps.map(int).join(', ')}) sampled again at the sweep's neighbouring point ${at} ranks them with Spearman ρ = ${num(p.rho, 2)} (95% interval [${num(lo, 2)}, ${num(hi, 2)}], from resampling chains) against the main estimate: ${verdict}.`, lo < ORDER_KEPT);
  });
}

function sweep(d: RunData): Statement[] {
  const s = d.sweep;
  if (!s) return [];
  const at = (p: { epsilon: number; nbeta: number }) => `ε = ${num(p.epsilon)}, nβ = ${num(p.nbeta)}`;
  const out = [
    say(`The sweep ran on the checkpoint of step ${int(s.checkpoint_step)} of training seed ${s.checkpoint_seed}: ${s.epsilons.length} values of ε (${num(s.epsilons[0])} … ${num(s.epsilons.at(-1))}) × ${s.nbetas.length} of nβ (${num(s.nbetas[0])} … ${num(s.nbetas.at(-1))}; m/ln m = ${num(s.nbeta0)}), ${s.num_chains} chains × ${int(s.num_draws)} draws per point, γ = ${num(s.localization)}; the best constant prediction's loss, where escaped chains sit, is ${num(s.trivial_loss, 3)}. A point's λ̂ is the estimator's, as everywhere in this report: the mean over its chains that did not diverge of nβ·(mean draw loss − init_loss); ± gives its standard error (${seNote(s.num_chains)}).`),
    say(s.recommendation.verdict, s.recommendation.point === null),
    say(`The rule: ${s.recommendation.rule}`),
  ];
  const valid = s.points.filter((p): p is typeof p & { llc_mean: number } => p.llc_mean !== null);
  if (valid.length) {
    const pm = (p: (typeof valid)[number]) => `${num(p.llc_mean)}${p.llc_se === null ? '' : ` ± ${num(p.llc_se, 2)}`}`;
    const hi = extreme(valid, (p) => p.llc_mean, 1);
    const lo = extreme(valid, (p) => p.llc_mean, -1);
    out.push(say(`λ̂ is largest at ${at(hi)} (${pm(hi)}) and smallest at ${at(lo)} (${pm(lo)}).`));
    const negative = valid.filter((p) => p.llc_mean < 0);
    if (negative.length) out.push(say(`${negative.length} of ${s.points.length} grid points ${agree(negative.length, 'has', 'have')} a negative λ̂: ${listed(negative, at)}.`, true));
  }
  const bad = s.points.filter((p) => p.diverged.length > 0);
  out.push(
    bad.length === 0
      ? say(`No chain diverged at any of the ${s.points.length} grid points.`)
      : say(`${bad.length} of ${s.points.length} grid points had diverging chains, marked ✕ in the chart: ${listed(bad, (p) => `${at(p)} (${p.diverged.length} of ${s.num_chains}${p.llc_mean === null ? ', none left' : ''})`)}.`, true),
  );
  return out;
}

function calibration(d: RunData): Statement[] {
  const cal = d.calibration;
  if (!cal) return [];
  const r = cal.result;
  const chains = r.llc_per_chain.map((v, i) => `chain ${i}: ${num(v)}`).join(', ');
  const se = calibrationSe(d);
  const out = [say(`On the checkpoint of step ${int(r.checkpoint_step)} of training seed ${r.checkpoint_seed} with ε = ${num(r.lr)}, nβ = ${num(r.nbeta)}, γ = ${num(r.localization)}: λ̂ = ${num(r.llc_mean)}${se === null ? ' (no standard error)' : ` ± ${num(se, 2)} (${seNote(r.num_chains)})`} from ${r.num_chains} chains × ${int(r.num_draws)} draws (${chains}).`, r.llc_mean === null || r.llc_mean < 0)];
  const diverged = new Set(r.diverged.map((x) => x.chain));
  const mean = meanTrace(cal.loss, r.num_draws, r.llc_per_chain.map((_, c) => c).filter((c) => !diverged.has(c)));
  const half = Math.floor(mean.length / 2);
  if (half > 0) {
    const avg = (rows: typeof mean) => rows.reduce((a, x) => a + x.mean, 0) / rows.length;
    const first = avg(mean.slice(0, half));
    const second = avg(mean.slice(half));
    out.push(say(`The mean loss over the chains averages ${num(first, 4)} in the first half of the draws and ${num(second, 4)} in the second (${relative(second, first)}), against ${num(r.init_loss, 4)} at the checkpoint.`));
  }
  out.push(divergences('calibration', r.diverged.map((x) => ({ where: 'calibration', d: x })), r.num_chains));
  return out;
}

function health(d: RunData): Statement[] {
  const out: Statement[] = [];
  for (const stage of SAMPLING_STAGES) {
    if (!d.manifests[stage]) continue;
    const h = d.health[stage];
    if (!h) {
      out.push(say(`Stage ${stage} wrote no health.json: there are no sampler diagnostics for it.`, true));
      continue;
    }
    const est = h.estimates;
    const warned = est.filter((e) => e.warnings.length > 0);
    const ratios = est.map((e) => e.noise_to_weight_rms);
    const range = (values: number[], unit = '') => (values.length === 1 ? `${num(values[0])}${unit}` : `${num(Math.min(...values))}${unit} to ${num(Math.max(...values))}${unit} (median ${num(median(values))}${unit})`);
    const side = Math.min(...ratios) > 1 ? 'larger than' : Math.max(...ratios) < 1 ? 'smaller than' : 'around';
    const warnings =
      warned.length === 0
        ? `no warnings over ${count(est.length, 'estimate')}`
        : est.length === 1
          ? 'its estimate carries warnings'
          : `${warned.length} of ${est.length} estimates ${agree(warned.length, 'carries', 'carry')} warnings`;
    out.push(say(`${stage}: ${warnings}. The per-step SGLD noise √ε·σ is ${range(ratios, '×')} the RMS of the weights — ${side} the weights themselves.`, warned.length > 0));
    const rhat = est.filter((e): e is EstimateHealth & { r_hat: number } => e.r_hat !== null);
    if (rhat.length) {
      const worst = extreme(rhat, (e) => e.r_hat, 1);
      out.push(say(`${stage}: the largest split-R̂ of the loss traces is ${num(worst.r_hat)} (${worst.label}).`));
    }
  }
  return out;
}

function data(d: RunData): Statement[] {
  const s = d.summary;
  if (!s) return [];
  const asked = d.config.report.sample_rows;
  const out = [say(`${int(s.n_train)} training and ${int(s.n_test)} test sequences of length ${s.seq_len}, generated from seed ${s.seed} with ${s.prng}; on average ${num(s.mean_num_x)} x per sequence.`)];
  if (s.n_train < asked) out.push(say(`report.sample_rows asks for ${asked} rows; the training split has ${int(s.n_train)}, so all of them are shown.`));
  return out;
}

function timing(d: RunData): Statement[] {
  const stages = SHOWN_STAGES.flatMap((s) => (d.manifests[s] ? [{ stage: s, seconds: d.manifests[s].duration_s }] : []));
  if (stages.length === 0) return [];
  const total = stages.reduce((a, s) => a + s.seconds, 0);
  const longest = extreme(stages, (s) => s.seconds, 1);
  return [say(`The ${stages.length} stages took ${duration(total)} in all; the longest was ${longest.stage} (${duration(longest.seconds)}, ${pct(longest.seconds / total)}).`)];
}

export function findings(d: RunData): Findings[] {
  return [
    { topic: 'Training', section: 'training', items: training(d) },
    { topic: 'λ̂ over training', section: 'llc', items: llc(d) },
    { topic: 'Calibration sweep', section: 'sweep', items: sweep(d) },
    { topic: 'Calibration trace', section: 'calibration', items: calibration(d) },
    { topic: 'Sampler health', section: 'health', items: health(d) },
    { topic: 'Data', section: 'data', items: data(d) },
    { topic: 'Run', section: 'run', items: timing(d) },
  ].filter((f) => f.items.length > 0);
}
