// `pipeline diff`: two runs side by side, in the spirit of `dvc plots diff` — the config
// keys that differ, the deltas of the headline metrics (a λ̂'s with its standard error),
// and the curves of both runs overlaid. A stage one run lacks is reported and its numbers
// are null, never a crash.
import { llcRunsChart } from './charts/llc-per-checkpoint.ts';
import type { ChartDef } from './charts/spec.ts';
import { llcScale, sweepChart } from './charts/sweep.ts';
import { trainingChart } from './charts/training.ts';
import { int, num, when } from './format.ts';
import { html, table, type Html } from './html.ts';
import { figure, renderPage, type Section } from './page.ts';
import { renderChart } from './render.ts';
import { SHOWN_STAGES, type RunData, type SavedRun } from './run-data.ts';
import { flattenConfig, showValue } from './tables.ts';
import { calibrationSe, checkpointsWithSe } from './uncertainty.ts';
import { seedRuns } from './seeds.ts';
import { mean } from '../../pipeline/lib/util/moments.ts';

export interface DiffSide {
  run: string;
  /** Earliest stage start, if any stage ran. */
  started: string | null;
  missing: string[];
}

export interface MetricDelta {
  metric: string;
  a: number | null;
  b: number | null;
  /** b − a, when both exist. */
  delta: number | null;
  /** Standard errors of a λ̂ (null where the run has none, and for metrics that are not λ̂). */
  se_a: number | null;
  se_b: number | null;
  /** The standard error of the delta, √(se_a² + se_b²) (the runs' chains are independent), when both exist. */
  delta_se: number | null;
}

export interface DiffFacts {
  a: DiffSide;
  b: DiffSide;
  config: { key: string; a: unknown; b: unknown }[];
  metrics: MetricDelta[];
}

const side = (d: RunData): DiffSide => ({
  run: d.id,
  started: SHOWN_STAGES.flatMap((s) => d.manifests[s]?.started_at ?? []).sort()[0] ?? null,
  missing: d.missing,
});

interface Value {
  value: number | null;
  /** Its standard error, for a λ̂ that has one. */
  se: number | null;
}

const plain = (value: number | null | undefined): Value => ({ value: value ?? null, se: null });

/** The numbers compared, by name: each is null where its run lacks the stage. */
function metricsOf(d: RunData): Map<string, Value> {
  const out = new Map<string, Value>();
  // Per training seed, and their mean where there are several.
  const runs = d.metrics ?? [];
  const finals = runs.flatMap((m) => (m.rows.length ? [{ seed: m.seed, last: m.rows.at(-1)!, lowest: Math.min(...m.rows.map((r) => r.test_mae)) }] : []));
  const avg = (f: (x: (typeof finals)[number]) => number) => (finals.length ? mean(finals.map(f)) : null);
  const over = finals.length > 1 ? ', mean over seeds' : '';
  out.set(`final train MAE${over}`, plain(avg((x) => x.last.train_mae)));
  out.set(`final test MAE${over}`, plain(avg((x) => x.last.test_mae)));
  out.set(`final train MSE${over}`, plain(avg((x) => x.last.train_mse)));
  out.set(`final test MSE${over}`, plain(avg((x) => x.last.test_mse)));
  out.set(`final minibatch loss${over}`, plain(avg((x) => x.last.batch_loss)));
  out.set(`lowest test MAE${over}`, plain(avg((x) => x.lowest)));
  if (finals.length > 1) for (const f of finals) out.set(`final test MAE, seed ${f.seed}`, plain(f.last.test_mae));
  const cps = d.estimates ? checkpointsWithSe(d, d.estimates.checkpoints) : [];
  const valid = cps.filter((c) => c.llc_mean !== null);
  // The mean of independent estimates: its se is √(Σ se²)/n, known only when every one has an se.
  const ses = valid.flatMap((c) => (c.llc_se === null ? [] : [c.llc_se]));
  out.set('λ̂ mean over checkpoints', {
    value: valid.length ? mean(valid.map((c) => c.llc_mean!)) : null,
    se: valid.length && ses.length === valid.length ? Math.hypot(...ses) / valid.length : null,
  });
  const lastCp = cps.at(-1);
  out.set('λ̂ at the last checkpoint', { value: lastCp?.llc_mean ?? null, se: lastCp?.llc_se ?? null });
  for (const c of cps) out.set(`λ̂ at seed ${c.seed} step ${c.step}`, { value: c.llc_mean, se: c.llc_se });
  out.set('calibration λ̂', { value: d.calibration?.result.llc_mean ?? null, se: calibrationSe(d) });
  for (const p of d.sweep?.points ?? []) out.set(`sweep λ̂ at ε=${num(p.epsilon)}, nβ=${num(p.nbeta)}`, { value: p.llc_mean, se: p.llc_se });
  for (const s of SHOWN_STAGES) out.set(`${s} seconds`, plain(d.manifests[s]?.duration_s));
  return out;
}

export function diffFacts(a: SavedRun, b: SavedRun): DiffFacts {
  const ca = flattenConfig(a.saved);
  const cb = flattenConfig(b.saved);
  const config = [...ca.keys()].filter((k) => JSON.stringify(ca.get(k)) !== JSON.stringify(cb.get(k))).map((key) => ({ key, a: ca.get(key), b: cb.get(key) }));
  const ma = metricsOf(a);
  const mb = metricsOf(b);
  const names = [...new Set([...ma.keys(), ...mb.keys()])];
  const metrics = names.map((metric) => {
    const x = ma.get(metric) ?? plain(null);
    const y = mb.get(metric) ?? plain(null);
    const both = x.value !== null && y.value !== null;
    return {
      metric,
      a: x.value,
      b: y.value,
      delta: both ? y.value! - x.value! : null,
      se_a: x.se,
      se_b: y.se,
      delta_se: both && x.se !== null && y.se !== null ? Math.hypot(x.se, y.se) : null,
    };
  });
  return { a: side(a), b: side(b), config, metrics };
}

function chartDefs(a: RunData, b: RunData): ChartDef[] {
  // Labelled A and B so that a run compared with itself still gives two series.
  const sides = [{ d: a, run: `A: ${a.id}` }, { d: b, run: `B: ${b.id}` }];
  const metrics = sides.flatMap(({ d, run }) => seedRuns(d).map((s) => ({ run: `${run} seed ${s.seed}`, metrics: s.metrics })));
  const estimates = sides.flatMap(({ d, run }) => seedRuns(d).filter((s) => s.checkpoints.length).map((s) => ({ run: `${run} seed ${s.seed}`, checkpoints: s.checkpoints })));
  const sweeps = sides.flatMap(({ d, run }) => (d.sweep ? [{ run, sweep: d.sweep }] : []));
  const dashes = 'One dash pattern per run and training seed.';
  return [
    ...(metrics.length ? [{ name: 'diff-mae', title: 'Train and test MAE over training', caption: dashes, spec: trainingChart(metrics, 'mae') }] : []),
    ...(metrics.length ? [{ name: 'diff-loss', title: 'Loss over training', caption: dashes, spec: trainingChart(metrics, 'loss') }] : []),
    ...(estimates.length ? [{ name: 'diff-llc', title: 'λ̂ per checkpoint', caption: 'Mean over chains, with a ± standard error band where health.json records one (the std over chains/√chains; with one chain the sd of its draws/√ESS); one colour per run.', spec: llcRunsChart(estimates) }] : []),
    ...(sweeps.length ? [{ name: 'diff-sweep', title: 'Calibration sweep', caption: `λ̂ (${llcScale(sweeps).note}) and λ̂/nβ (linear) over ε (log scale) and nβ. ${dashes} A red ✕ marks diverged chains; a black ring each run's recommended point.`, spec: sweepChart(sweeps) }] : []),
  ];
}

const signed = (x: number | null) => (x === null ? '—' : `${x > 0 ? '+' : ''}${num(x, 4)}`);
/** "1.234 ± 0.05" with the se, where there is one. */
const pm = (x: string, se: number | null) => (se === null ? x : `${x} ± ${num(se, 2)}`);

function metricsTable(rows: MetricDelta[]): Html {
  return table(['metric', 'A', 'B', 'B − A', 'B − A in se'], rows.map((m) => [m.metric, pm(num(m.a, 4), m.se_a), pm(num(m.b, 4), m.se_b), pm(signed(m.delta), m.delta_se), m.delta !== null && m.delta_se ? num(m.delta / m.delta_se, 2) : '']), [1, 2, 3, 4]);
}

export async function diffPage(a: RunData, b: RunData, facts: DiffFacts): Promise<string> {
  const charts = [];
  for (const def of chartDefs(a, b)) charts.push(await renderChart(def));
  const perCheckpoint = (m: MetricDelta) => m.metric.startsWith('λ̂ at seed ');
  const missing = (s: DiffSide) => (s.missing.length ? html`<span class="warning">${s.missing.join(', ')} not run</span>` : 'all stages ran');
  const sections: Section[] = [
    { id: 'runs', title: 'Runs', body: table(['', 'run', 'started', 'stages'], [['A', html`<code>${facts.a.run}</code>`, facts.a.started ? when(facts.a.started) : '—', missing(facts.a)], ['B', html`<code>${facts.b.run}</code>`, facts.b.started ? when(facts.b.started) : '—', missing(facts.b)]]) },
    {
      id: 'config',
      title: 'Config differences',
      body: facts.config.length ? table(['key', 'A', 'B'], facts.config.map((c) => [html`<code>${c.key}</code>`, showValue(c.a), showValue(c.b)])) : html`<p>The two runs have the same config.</p>`,
    },
    {
      id: 'metrics',
      title: 'Metrics',
      body: html`<p>± is a λ̂'s standard error (health.json's: the std over chains/√chains, or with one chain the sd of its draws/√ESS); B − A's is √(se<sub>A</sub>² + se<sub>B</sub>²), the runs' chains being independent, and "B − A in se" their ratio — beyond about 2 the runs differ by more than their noise.</p>${metricsTable(facts.metrics.filter((m) => !perCheckpoint(m)))}<details><summary>λ̂ per checkpoint (${int(facts.metrics.filter(perCheckpoint).length)} checkpoints)</summary>${metricsTable(facts.metrics.filter(perCheckpoint))}</details>`,
    },
    { id: 'curves', title: 'Curves', body: charts.length ? html`${charts.map(figure)}` : html`<p>Neither run has curves to compare.</p>` },
  ];
  return renderPage({
    title: `${facts.a.run} vs ${facts.b.run}`,
    subtitle: html`pipeline diff · A <code>${facts.a.run}</code> · B <code>${facts.b.run}</code> · made ${when(new Date().toISOString())}`,
    glance: [
      { label: 'config keys changed', value: String(facts.config.length), note: facts.config.slice(0, 3).map((c) => c.key).join(', ') },
      ...[/^final test MAE(, mean over seeds)?$/, /^λ̂ at the last checkpoint$/].flatMap((name) => {
        const m = facts.metrics.find((x) => name.test(x.metric));
        return m ? [{ label: m.metric, value: `${num(m.a)} → ${num(m.b)}`, note: `B − A = ${pm(signed(m.delta), m.delta_se)}` }] : [];
      }),
    ],
    sections,
  });
}
