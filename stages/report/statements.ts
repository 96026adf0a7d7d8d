// Plain statements derived from the run's numbers — what a reader would otherwise have to
// read off the charts. Every number and every comparison word comes from the data; the
// thresholds that turn numbers into words are named below.
import type { CheckpointEstimate } from '../../schemas/estimate.ts';
import type { EstimateHealth } from '../../schemas/health.ts';
import { meanTrace } from './charts/calibration.ts';
import { median, variance } from '../../pipeline/lib/util/moments.ts';
import { count, duration, int, num, pct } from './format.ts';
import { SAMPLING_STAGES, SHOWN_STAGES, type RunData } from './run-data.ts';
import { calibrationSe, checkpointsWithSe, seNote } from './uncertainty.ts';

/** Train and test MAE "separate" where they differ by more than this fraction of their mean. */
const SEPARATE = 0.1;
/** The model "does no better than a constant" where its test MAE is within this fraction of the constant's. */
const NEAR_CONSTANT = 0.02;
/** |Pearson r| from which a relation between λ̂ and the test MAE is named. */
const CLEAR_CORRELATION = 0.3;
/** The λ̂ are too noisy for a correlation to mean much where their typical (RMS) standard
 * error is this fraction of their spread (sd) across checkpoints or more. */
const NOISY = 0.5;
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

function pearson(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0, sxx = 0, syy = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
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
  const { metrics, model, baseline } = d;
  if (!metrics || !model || !baseline) return [];
  const rows = metrics.rows;
  const last = rows.at(-1);
  if (!last) return [say('Training recorded no evaluation.', true)];
  const out: Statement[] = [];
  out.push(
    model.dropout > 0
      ? say(`Training ran in train mode throughout: dropout p = ${model.dropout} was on for all ${int(d.config.train.steps)} steps; the ${rows.length} evaluations (every ${int(d.config.train.eval_every)} steps) ran in eval mode, without dropout. The notebook switched to eval mode at its first evaluation and never switched back; this run does not.`)
      : say(`Training ran without dropout (p = 0) for ${int(d.config.train.steps)} steps.`),
  );
  out.push(say(`At the last evaluation (step ${int(last.step)}) the test MAE is ${num(last.test_mae)} (train ${num(last.train_mae)}). Always predicting c = ${num(baseline.median)}, the median training target and the best constant for MAE, gives a test MAE of ${num(baseline.medianTestMae)}: the model's is ${relative(last.test_mae, baseline.medianTestMae)}.`, last.test_mae >= baseline.medianTestMae));
  const best = extreme(rows, (r) => r.test_mae, -1);
  if (best.step !== last.step) out.push(say(`The lowest test MAE, ${num(best.test_mae)}, came at step ${int(best.step)}; the final one is ${relative(last.test_mae, best.test_mae)}.`));

  const gaps = rows.map((r) => ({ step: r.step, gap: r.test_mae - r.train_mae, rel: Math.abs(r.test_mae - r.train_mae) / ((r.test_mae + r.train_mae) / 2) }));
  const widest = extreme(gaps, (g) => Math.abs(g.gap), 1);
  const apart = gaps.filter((g) => g.rel > SEPARATE);
  const widestText = `test − train = ${num(widest.gap)} (${pct(widest.rel)} of their mean) at step ${int(widest.step)}`;
  out.push(
    apart.length === 0
      ? say(`Train and test MAE never separate by more than ${pct(SEPARATE)}: the widest gap is ${widestText}.`)
      : say(`Train and test MAE separate by more than ${pct(SEPARATE)} at ${apart.length} of ${rows.length} evaluations, first at step ${int(apart[0]!.step)}; the widest gap is ${widestText}.`),
  );

  const flat = rows.filter((r) => r.test_mae >= (1 - NEAR_CONSTANT) * baseline.meanTestMae);
  const constant = `always predicting the mean training target c = ${num(baseline.mean)} (test MAE ${num(baseline.meanTestMae)}, MSE ${num(baseline.meanTestMse)}), the constant an MSE-trained model falls back to`;
  out.push(
    flat.length === 0
      ? say(`At every evaluation the test MAE is more than ${pct(NEAR_CONSTANT)} below that of ${constant}.`)
      : say(`At ${flat.length} of ${rows.length} evaluations (first at step ${int(flat[0]!.step)}) the test MAE is no more than ${pct(NEAR_CONSTANT)} below that of ${constant}: there the model does no better than a constant.`, flat.includes(last)),
  );
  return out;
}

/** Pearson r between λ̂ and the test MAE, never without how noisy each λ̂ is: their
 * standard errors against the spread of λ̂ across the checkpoints. */
function correlation(r: number, pairs: { llc_mean: number; llc_se: number | null }[], chains: number): Statement {
  const how = Math.abs(r) < CLEAR_CORRELATION ? 'no clear linear relation' : `λ̂ tends to be higher where the test MAE is ${r < 0 ? 'lower' : 'higher'}`;
  const head = `Over the ${pairs.length} checkpoints with an evaluation, λ̂ and the test MAE have Pearson r = ${num(r, 2)}: ${how}`;
  const ses = pairs.flatMap((x) => (x.llc_se === null ? [] : [x.llc_se]));
  if (ses.length < pairs.length) return say(`${head}. But ${pairs.length - ses.length} of these λ̂ have no standard error, so how much of r is noise is unknown.`, true);
  const noise = Math.sqrt(ses.reduce((a, x) => a + x * x, 0) / ses.length);
  const spread = Math.sqrt(variance(pairs.map((x) => x.llc_mean)));
  const ratio = noise / spread;
  const single = chains === 1 ? ' From one chain per checkpoint this se rests on its autocorrelated draws alone; more chains (estimate.num_chains) give an se over independent chains.' : '';
  const verdict = ratio < NOISY ? 'the noise is small beside the differences between checkpoints' : `the noise is ${pct(ratio)} of the differences between checkpoints, so r says little`;
  return say(`${head}. Each λ̂ has a standard error of ${num(Math.min(...ses), 2)} to ${num(Math.max(...ses), 2)} (RMS ${num(noise, 2)}, ${seNote(chains)}), against a spread (sd) of ${num(spread)} across checkpoints: ${verdict}.${single}`, ratio >= NOISY || chains === 1);
}

function llc(d: RunData): Statement[] {
  const { estimates, metrics } = d;
  if (!estimates) return [];
  const cps = checkpointsWithSe(d, estimates.checkpoints);
  const valid = cps.filter((c): c is typeof c & { llc_mean: number } => c.llc_mean !== null);
  const c = d.config.estimate;
  const out = [say(`λ̂ of ${cps.length} checkpoints, each from ${c.num_chains} chain${c.num_chains > 1 ? 's' : ''} × ${int(c.num_draws)} draws with ε = ${num(c.lr)}, nβ = ${num(cps[0]?.nbeta)}, γ = ${num(c.localization)}, on ${estimates.device}; ± gives the standard error (${seNote(c.num_chains)}).`)];
  if (valid.length === 0) return [...out, say('No checkpoint has a λ̂: every chain diverged.', true)];
  const pm = (x: (typeof valid)[number]) => `${num(x.llc_mean)}${x.llc_se === null ? ' (no standard error)' : ` ± ${num(x.llc_se, 2)}`}`;
  const hi = extreme(valid, (x) => x.llc_mean, 1);
  const lo = extreme(valid, (x) => x.llc_mean, -1);
  out.push(say(`λ̂ is largest at step ${int(hi.step)} (${pm(hi)}) and smallest at step ${int(lo.step)} (${pm(lo)}); the last checkpoint, step ${int(valid.at(-1)!.step)}, has ${pm(valid.at(-1)!)}.`));
  const negative = valid.filter((x) => x.llc_mean < 0);
  if (negative.length) {
    out.push(say(`${negative.length} of ${valid.length} checkpoints ${agree(negative.length, 'has', 'have')} a negative λ̂ (${agree(negative.length, 'step', 'steps')} ${listed(negative, (x) => int(x.step))}): there the chains found lower loss than at the checkpoint itself.`, true));
  }
  if (metrics) {
    const byStep = new Map(metrics.rows.map((r) => [r.step, r.test_mae]));
    const pairs = valid.filter((x) => byStep.has(x.step));
    if (pairs.length >= 3) {
      const r = pearson(pairs.map((x) => x.llc_mean), pairs.map((x) => byStep.get(x.step)!));
      if (Number.isFinite(r)) out.push(correlation(r, pairs, c.num_chains));
    }
  }
  out.push(divergences('estimate', cps.flatMap((x) => x.diverged.map((dv) => ({ where: `step ${int(x.step)}`, d: dv }))), cps.length * c.num_chains));
  return out;
}

function sweep(d: RunData): Statement[] {
  const s = d.sweep;
  if (!s) return [];
  const at = (p: { epsilon: number; nbeta: number }) => `ε = ${num(p.epsilon)}, nβ = ${num(p.nbeta)}`;
  const out = [
    say(`The sweep ran on the checkpoint of step ${int(s.checkpoint_step)}: ${s.epsilons.length} values of ε (${num(s.epsilons[0])} … ${num(s.epsilons.at(-1))}) × ${s.nbetas.length} of nβ (${num(s.nbetas[0])} … ${num(s.nbetas.at(-1))}, centred on m/ln m = ${num(s.nbeta0)}), ${s.num_chains} chains × ${int(s.num_draws)} draws per point, γ = ${num(s.localization)}. A point's λ̂ is the estimator's, as everywhere in this report: the mean over its chains that did not diverge of nβ·(mean draw loss − init_loss); ± gives its standard error (${seNote(s.num_chains)}).`),
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
  const out = [say(`On the checkpoint of step ${int(r.checkpoint_step)} with ε = ${num(r.lr)}, nβ = ${num(r.nbeta)}, γ = ${num(r.localization)}: λ̂ = ${num(r.llc_mean)}${se === null ? ' (no standard error)' : ` ± ${num(se, 2)} (${seNote(r.num_chains)})`} from ${r.num_chains} chains × ${int(r.num_draws)} draws (${chains}).`, r.llc_mean === null || r.llc_mean < 0)];
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
