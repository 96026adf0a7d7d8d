// `pipeline diff`: two runs side by side, in the spirit of `dvc plots diff` — the config
// keys that differ, the deltas of the headline metrics, and the curves of both runs
// overlaid. A stage one run lacks is reported and its numbers are null, never a crash.
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

/** The numbers compared, by name: each is null where its run lacks the stage. */
function metricsOf(d: RunData): Map<string, number | null> {
  const out = new Map<string, number | null>();
  const last = d.metrics?.rows.at(-1);
  out.set('final train MAE', last?.train_mae ?? null);
  out.set('final test MAE', last?.test_mae ?? null);
  out.set('final train MSE', last?.train_mse ?? null);
  out.set('final test MSE', last?.test_mse ?? null);
  out.set('final minibatch loss', last?.batch_loss ?? null);
  out.set('lowest test MAE', d.metrics?.rows.length ? Math.min(...d.metrics.rows.map((r) => r.test_mae)) : null);
  const llcs = d.estimates?.checkpoints.flatMap((c) => (c.llc_mean === null ? [] : [c.llc_mean])) ?? [];
  out.set('λ̂ mean over checkpoints', llcs.length ? llcs.reduce((a, b) => a + b, 0) / llcs.length : null);
  out.set('λ̂ at the last checkpoint', d.estimates?.checkpoints.at(-1)?.llc_mean ?? null);
  for (const c of d.estimates?.checkpoints ?? []) out.set(`λ̂ at step ${c.step}`, c.llc_mean);
  out.set('calibration λ̂', d.calibration?.result.llc_mean ?? null);
  for (const p of d.sweep?.points ?? []) out.set(`sweep λ̂ at ε=${num(p.epsilon)}, nβ=${num(p.nbeta)}`, p.llc_final);
  for (const s of SHOWN_STAGES) out.set(`${s} seconds`, d.manifests[s]?.duration_s ?? null);
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
    const x = ma.get(metric) ?? null;
    const y = mb.get(metric) ?? null;
    return { metric, a: x, b: y, delta: x !== null && y !== null ? y - x : null };
  });
  return { a: side(a), b: side(b), config, metrics };
}

function chartDefs(a: RunData, b: RunData): ChartDef[] {
  // Labelled A and B so that a run compared with itself still gives two series.
  const sides = [{ d: a, run: `A: ${a.id}` }, { d: b, run: `B: ${b.id}` }];
  const metrics = sides.flatMap(({ d, run }) => (d.metrics ? [{ run, metrics: d.metrics }] : []));
  const estimates = sides.flatMap(({ d, run }) => (d.estimates ? [{ run, estimates: d.estimates }] : []));
  const sweeps = sides.flatMap(({ d, run }) => (d.sweep ? [{ run, sweep: d.sweep }] : []));
  const dashes = 'Run A solid, run B dashed.';
  return [
    ...(metrics.length ? [{ name: 'diff-mae', title: 'Train and test MAE over training', caption: dashes, spec: trainingChart(metrics, 'mae') }] : []),
    ...(metrics.length ? [{ name: 'diff-loss', title: 'Loss over training', caption: dashes, spec: trainingChart(metrics, 'loss') }] : []),
    ...(estimates.length ? [{ name: 'diff-llc', title: 'λ̂ per checkpoint', caption: 'Mean over chains, with a ±std band where there are several chains; one colour per run.', spec: llcRunsChart(estimates) }] : []),
    ...(sweeps.length ? [{ name: 'diff-sweep', title: 'Calibration sweep', caption: `Final λ̂ (${llcScale(sweeps).note}) and λ̂/nβ (linear) over ε (log scale) and nβ. ${dashes} A red ✕ marks diverged chains.`, spec: sweepChart(sweeps) }] : []),
  ];
}

const signed = (x: number | null) => (x === null ? '—' : `${x > 0 ? '+' : ''}${num(x, 4)}`);

function metricsTable(rows: MetricDelta[]): Html {
  return table(['metric', 'A', 'B', 'B − A'], rows.map((m) => [m.metric, num(m.a, 4), num(m.b, 4), signed(m.delta)]), [1, 2, 3]);
}

export async function diffPage(a: RunData, b: RunData, facts: DiffFacts): Promise<string> {
  const charts = [];
  for (const def of chartDefs(a, b)) charts.push(await renderChart(def));
  const perCheckpoint = (m: MetricDelta) => m.metric.startsWith('λ̂ at step ');
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
      body: html`${metricsTable(facts.metrics.filter((m) => !perCheckpoint(m)))}<details><summary>λ̂ per checkpoint (${int(facts.metrics.filter(perCheckpoint).length)} steps)</summary>${metricsTable(facts.metrics.filter(perCheckpoint))}</details>`,
    },
    { id: 'curves', title: 'Curves', body: charts.length ? html`${charts.map(figure)}` : html`<p>Neither run has curves to compare.</p>` },
  ];
  return renderPage({
    title: `${facts.a.run} vs ${facts.b.run}`,
    subtitle: html`pipeline diff · A <code>${facts.a.run}</code> · B <code>${facts.b.run}</code> · made ${when(new Date().toISOString())}`,
    glance: [
      { label: 'config keys changed', value: String(facts.config.length), note: facts.config.slice(0, 3).map((c) => c.key).join(', ') },
      ...['final test MAE', 'λ̂ at the last checkpoint'].map((name) => {
        const m = facts.metrics.find((x) => x.metric === name)!;
        return { label: name, value: `${num(m.a)} → ${num(m.b)}`, note: `B − A = ${signed(m.delta)}` };
      }),
    ],
    sections,
  });
}
