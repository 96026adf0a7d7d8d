// The report stage's work: read the run (run-data.ts), derive the statements, build and
// render every chart, and write report.html plus each chart's Vega-Lite spec as
// charts/<name>.vl.json for reuse.
import type { StageContext } from '../../pipeline/lib/stage/context.ts';
import { calibrationChart } from './charts/calibration.ts';
import { chainTracesChart } from './charts/chain-traces.ts';
import { dataSampleChart } from './charts/data-sample.ts';
import { llcRunsChart } from './charts/llc-per-checkpoint.ts';
import { llcOverlayChart } from './charts/llc-overlay.ts';
import { blockNote, blockOf, type ChartDef } from './charts/spec.ts';
import { llcScale, sweepChart } from './charts/sweep.ts';
import { sweepTracesChart } from './charts/sweep-traces.ts';
import { trainingChart } from './charts/training.ts';
import { count, duration, int, num, when } from './format.ts';
import { html, table } from './html.ts';
import { figure, findingsList, renderPage, type Section } from './page.ts';
import { RENDERER_TOOLS, renderChart, type RenderedChart } from './render.ts';
import { SAMPLING_STAGES, SHOWN_STAGES, loadRun, type RunData } from './run-data.ts';
import { findings } from './statements.ts';
import { configTables, estimatesTable, healthSummary, healthTable, stagesTable, sweepTable, toolsTable, trainingEngine } from './tables.ts';
import { calibrationSe, checkpointsWithSe, seNote } from './uncertainty.ts';
import { claimCurves, seedList, seedRuns } from './seeds.ts';
import { evaluateClaims } from './claims.ts';
import { claimsBody } from './claims-section.ts';
import { median } from '../../pipeline/lib/util/moments.ts';

type Complete = RunData & Required<Pick<RunData, 'summary' | 'sample' | 'baseline' | 'model' | 'metrics' | 'estimates' | 'estimateTraces' | 'sweep' | 'sweepTraces' | 'calibration'>>;

/** loadRun fills every artifact of a stage that has run, so no missing stage means a complete run. */
function complete(d: RunData): Complete {
  if (d.missing.length) throw new Error(`the report needs the artifacts of ${d.missing.join(', ')}, which ${d.missing.length > 1 ? 'have' : 'has'} not finished in run ${d.id}`);
  return d as Complete;
}

function chartDefs(d: Complete): ChartDef[] {
  const { estimates, baseline, sweep, calibration: cal } = d;
  const seeds = seedRuns(d);
  const runs = seeds.map((s) => ({ run: `seed ${s.seed}`, metrics: s.metrics }));
  const dashes = seeds.length > 1 ? ` One dash pattern per training seed (${seedList(seeds)}).` : '';
  const sample = d.sample;
  const chains = d.config.estimate.num_chains;
  const checkpoints = checkpointsWithSe(d, estimates.checkpoints);
  const banded = checkpoints.some((c) => c.llc_se !== null);
  const panels = seeds.length > 1 ? ` One panel per training seed (${seedList(seeds)}).` : '';
  const llcLine = `λ̂ per checkpoint (solid), the mean over ${chains > 1 ? `its ${chains} chains` : 'its one chain'}${banded ? `, with a ± standard error band (${seNote(chains)})` : ', without an error bar: health.json records no standard error'}`;
  const legend = `λ̂ (${chains > 1 ? `mean over ${chains} chains` : 'one chain'}${banded ? ' ± se' : ''})`;
  const rec = sweep.recommendation.point;
  const recNote = rec ? 'the recommended point (see Findings) is ringed in black' : 'no grid point qualified for a recommendation (see Findings)';
  return [
    { name: 'training-mae', title: 'Train and test MAE over training', caption: `Mean absolute error on the full train (${int(d.summary.n_train)}) and test (${int(d.summary.n_test)}) splits, evaluated without dropout every ${int(d.config.train.eval_every)} steps and at every checkpoint. The grey dashed line is the test MAE of always predicting the median training target.${dashes}`, spec: trainingChart(runs, 'mae', { value: baseline.medianTestMae, label: `always ${num(baseline.median)} (test MAE ${num(baseline.medianTestMae)})` }) },
    { name: 'training-loss', title: 'Loss over training', caption: `Mean squared error on the full train and test splits (eval mode), and the mean training minibatch loss since the previous evaluation (dropout on, where there is dropout). The grey dashed line is the test MSE of always predicting the mean training target.${dashes}`, spec: trainingChart(runs, 'loss', { value: baseline.meanTestMse, label: `always ${num(baseline.mean)} (test MSE ${num(baseline.meanTestMse)})` }) },
    { name: 'llc-vs-mae', title: 'λ̂ over checkpoints, with train and test MAE', caption: `Left axis: ${llcLine}. Right axis: train and test MAE (dashed).${panels}`, spec: llcOverlayChart(seeds, legend, 'mae') },
    { name: 'llc-vs-loss', title: 'λ̂ over checkpoints, with train and test loss', caption: `Left axis: ${llcLine}. Right axis: train and test MSE (dashed).${panels}`, spec: llcOverlayChart(seeds, legend, 'loss') },
    ...(seeds.length > 1 ? [{ name: 'llc-seeds', title: 'λ̂ over checkpoints, every training seed', caption: `${llcLine.replace(/^λ̂ per checkpoint \(solid\)/, 'λ̂ per checkpoint')}, one colour per training seed.`, spec: llcRunsChart(seeds.map((s) => ({ run: `seed ${s.seed}`, checkpoints: s.checkpoints }))) }] : []),
    { name: 'llc-chains', title: 'Every chain of the estimate stage, per draw', caption: `Per chain of one checkpoint: its llc nβ·(L − L₀) at each draw (top; its mean over the draws is the chain's λ̂) and its SGLD minibatch loss L (bottom). The static image shows the last checkpoint of the last seed; in the live view the selector under the chart picks another.${blockNote(blockOf(d.config.estimate.num_draws))}`, spec: chainTracesChart(d.estimateTraces) },
    ...restrictedChart(d),
    { name: 'sweep', title: `Calibration sweep on the checkpoint of step ${int(sweep.checkpoint_step)} (seed ${sweep.checkpoint_seed})`, caption: `λ̂ (left, ${llcScale([{ run: d.id, sweep }]).note}, since λ̂ grows with nβ) and λ̂/nβ (right, linear) for each step size ε (log scale) and inverse temperature nβ (colour); ${recNote}. A red ✕ marks a grid point where chains diverged: at its value, or at the top edge when no chain was left.`, spec: sweepChart([{ run: d.id, sweep }]) },
    { name: 'sweep-traces', title: 'λ̂ trace of every sweep point', caption: `The plot to choose ε and nβ from: for each nβ (a panel, with its own axis), each ε's llc nβ·(L − L₀) per draw, averaged over the chains that did not diverge. A usable ε levels off within the draws and does not run away; too small an ε is still climbing, too large a one climbs without end or diverges (missing lines). ${rec ? "The recommended point's line has a thick grey halo." : 'No point qualified for a recommendation.'}${blockNote(blockOf(sweep.num_draws))}`, spec: sweepTracesChart(sweep, d.sweepTraces) },
    { name: 'calibration-trace', title: `Calibration loss trace on the checkpoint of step ${int(cal.result.checkpoint_step)} (seed ${cal.result.checkpoint_seed})`, caption: `The SGLD minibatch loss of each of the ${cal.result.num_chains} chains per draw, their mean (black) with a ±std band, and the loss at the checkpoint (dashed).`, spec: calibrationChart(cal.result, cal.loss) },
    { name: 'data-sample', title: 'A sample of the data', caption: `The first ${sample.length} training sequences of generate/train.safetensors (report.sample_rows = ${d.config.report.sample_rows}): each cell shows the letter and, below it and by its shade, the target at that position (the fraction of x among the letters so far).`, spec: dataSampleChart(sample) },
  ];
}

/** λ̂ of each estimate.restrict group beside the whole model's, where there are groups. */
function restrictedChart(d: Complete): ChartDef[] {
  const groups = d.estimates.restricted ?? [];
  if (!groups.length) return [];
  const runs = [{ run: 'whole model', checkpoints: checkpointsWithSe(d, d.estimates.checkpoints) }, ...groups.map((g) => ({ run: g.group, checkpoints: checkpointsWithSe(d, g.checkpoints, g.group) }))];
  const which = groups.map((g) => `${g.group} (${g.params.length} parameters, ${int(g.weight_count)} weights)`).join(', ');
  return [{ name: 'llc-components', title: 'λ̂ per component over training', caption: `λ̂ restricted to each group of estimate.restrict — its weights sampled, every other weight held at the checkpoint — beside the whole model's λ̂, with ± standard error bands (${seNote(d.config.estimate.num_chains)}): ${which}.`, spec: llcRunsChart(runs) }];
}

function sections(d: Complete, charts: Map<string, RenderedChart>): Section[] {
  const fig = (name: string) => figure(charts.get(name)!);
  const found = findings(d);
  const claims = evaluateClaims(claimCurves(seedRuns(d)), d.baseline.medianTestMae);
  const healthBody = SAMPLING_STAGES.map((stage) => {
    const h = d.health[stage];
    if (!h) return html`<h3>${stage}</h3><p class="warning">Stage ${stage} wrote no health.json.</p>`;
    return html`<h3>${stage}</h3>${healthSummary(h)}<details><summary>Diagnostics and warnings of ${h.estimates.length === 1 ? 'the estimate' : `all ${h.estimates.length} estimates`}</summary>${healthTable(h)}</details>`;
  });
  const sample = d.sample;
  return [
    { id: 'findings', title: 'Findings', body: html`${found.map((f) => html`<h3><a href="#${f.section}">${f.topic}</a></h3>${findingsList(f)}`)}` },
    { id: 'claims', title: "The notebook's claims", body: claimsBody(claims) },
    { id: 'training', title: 'Training', body: html`${fig('training-mae')}${fig('training-loss')}` },
    { id: 'llc', title: 'λ̂ over training', body: html`${charts.has('llc-seeds') ? fig('llc-seeds') : ''}${fig('llc-vs-mae')}${fig('llc-vs-loss')}${charts.has('llc-components') ? fig('llc-components') : ''}${fig('llc-chains')}<details><summary>λ̂ per checkpoint</summary>${estimatesTable(checkpointsWithSe(d, d.estimates.checkpoints), seNote(d.config.estimate.num_chains))}</details>` },
    { id: 'sweep', title: 'Calibration sweep (ε × nβ)', body: html`${fig('sweep')}${fig('sweep-traces')}<details><summary>All ${d.sweep.points.length} grid points</summary>${sweepTable(d.sweep)}</details>` },
    { id: 'calibration', title: 'Calibration trace', body: fig('calibration-trace') },
    { id: 'health', title: 'Sampler health', body: html`${healthBody}` },
    {
      id: 'data',
      title: 'Data',
      body: html`${fig('data-sample')}<details><summary>The same sequences as a table</summary>${table(['split', 'sequence', ...Array.from({ length: d.summary.seq_len }, (_, i) => `t${i}`)], sample.map((s) => [s.split, html`<span class="mono">${s.letters}</span>`, ...s.targets.map((t) => num(t, 3))]), Array.from({ length: d.summary.seq_len }, (_, i) => i + 2))}</details>`,
    },
    {
      id: 'run',
      title: 'Run: config, versions, devices, timings',
      body: html`<h3>Stages</h3>${stagesTable(d.manifests)}${trainingEngine(d.manifests.train)}<h3>Tools</h3>${toolsTable(d.manifests)}<h3>Config</h3>${configTables(d.config)}<h3>Charts for reuse</h3><p>Each chart's Vega-Lite spec, with its data, is saved beside this page: ${[...charts.keys()].map((n, i) => html`${i ? ', ' : ''}<code>charts/${n}.vl.json</code>`)}.</p>`,
    },
  ];
}

function glance(d: Complete) {
  const finals = d.metrics.map((m) => m.rows.at(-1)?.test_mae).filter((v): v is number => v !== undefined);
  const llcs = d.estimates.checkpoints.map((c) => c.llc_mean).filter((v): v is number => v !== null);
  const health = SAMPLING_STAGES.flatMap((s) => d.health[s]?.estimates ?? []);
  const seconds = SHOWN_STAGES.reduce((a, s) => a + (d.manifests[s]?.duration_s ?? 0), 0);
  const cal = d.calibration.result;
  const calSe = calibrationSe(d);
  const at = d.sweep.recommendation.point;
  const rec = at && d.sweep.points.find((p) => p.i === at.i && p.j === at.j);
  return [
    { label: finals.length > 1 ? `final test MAE, median of ${finals.length} seeds` : 'final test MAE', value: num(finals.length ? median(finals) : undefined), note: `constant prediction: ${num(d.baseline.medianTestMae)}` },
    { label: 'λ̂ over checkpoints', value: llcs.length ? `${num(Math.min(...llcs))} … ${num(Math.max(...llcs))}` : 'none', note: `${llcs.length} estimates` },
    { label: 'calibration λ̂', value: num(cal.llc_mean), note: calSe === null ? `${cal.num_chains} chains; no standard error` : `± ${num(calSe, 2)} (${seNote(cal.num_chains)})` },
    { label: 'sweep recommends', value: rec ? `ε = ${num(rec.epsilon)}` : 'no point', note: rec ? `nβ = ${num(rec.nbeta)}, λ̂ = ${num(rec.llc_mean)}` : 'none qualifies: see Findings' },
    { label: 'health warnings', value: String(health.reduce((a, e) => a + e.warnings.length, 0)), note: `over ${count(health.length, 'estimate')}` },
    { label: 'pipeline time', value: duration(seconds), note: `${SHOWN_STAGES.length} stages` },
  ];
}

export async function writeReport(ctx: StageContext<'report'>): Promise<void> {
  const d = complete(loadRun(ctx));
  const rendered = new Map<string, RenderedChart>();
  for (const def of chartDefs(d)) {
    rendered.set(def.name, await renderChart(def));
    ctx.writeJson(`charts/${def.name}.vl.json`, def.spec);
  }
  const started = SHOWN_STAGES.map((s) => d.manifests[s]!.started_at).sort()[0]!;
  const page = renderPage({
    title: d.config.report.title,
    subtitle: html`run <code>${d.id}</code> · started ${when(started)} · report made ${when(new Date().toISOString())}`,
    glance: glance(d),
    sections: sections(d, rendered),
  });
  ctx.writeText('report.html', page);
  Object.assign(ctx.tools, RENDERER_TOOLS);
  ctx.results.charts = rendered.size;
  ctx.results.html_bytes = Buffer.byteLength(page);
  ctx.log(`report.html (${(Buffer.byteLength(page) / 1024).toFixed(0)} KiB, ${rendered.size} charts)`);
}
