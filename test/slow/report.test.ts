// The report stage on a real run (generate → calibration through the CLI on a tiny config,
// helpers/report-run.ts): one self-contained report.html with every chart as static SVG
// plus its Vega spec, reusable Vega-Lite files, statements that follow the data, and
// refusals that name what is wrong; the page in headless Chromium.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import { chromium } from 'playwright-core';
import { sha256 } from '../../pipeline/lib/util/hash.ts';
import { readSavedConfig, writeSavedConfig } from '../../pipeline/lib/stage/run-dir.ts';
import { decodeSafetensors } from '../../pipeline/lib/util/safetensors.ts';
import { num } from '../../stages/report/format.ts';
import { escapeHtml } from '../../stages/report/html.ts';
import { readRun } from '../../stages/report/run-data.ts';
import { findings } from '../../stages/report/statements.ts';
import { ROOT, pipeline } from '../helpers/cli.ts';
import { buildRun } from '../helpers/report-run.ts';

const CHARTS = ['calibration-trace', 'data-sample', 'llc-chains', 'llc-seeds', 'llc-vs-loss', 'llc-vs-mae', 'sweep', 'sweep-traces', 'training-loss', 'training-mae'];

/** assert.match without printing a megabyte of page when it fails. */
const has = (text: string, re: RegExp) => assert.ok(re.test(text), `missing: ${re}`);

const statementsOf = (runDir: string) => findings(readRun(runDir)).flatMap((f) => f.items.map((s) => s.text));

// One run for every test; the last changes its artifacts, so it goes last.
let root = '';
let runDir = '';
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'llc-report-'));
  runDir = await buildRun(root, 'r');
}, { timeout: 300_000 });
after(() => rmSync(root, { recursive: true, force: true }));

test('report: one self-contained page with every chart, the run facts and statements derived from the data', { timeout: 60_000 }, async () => {
  // More data rows than the five sequences generate/summary.json keeps.
  const r = await pipeline(['run', 'report', '--run', 'r', '--set', 'report.sample_rows=12'], root);
  assert.equal(r.code, 0, r.stderr);
  const stage = join(runDir, 'report');
  const page = readFileSync(join(stage, 'report.html'), 'utf8');

  // Self-contained: no markup that a browser would fetch (the inlined scripts are vega's
  // runtime and the page's boot code; the browser test watches what they request), and a
  // policy that forbids any request anyway.
  has(page, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  const markup = page.replace(/<script\b[\s\S]*?<\/script>/g, '');
  const fetched = /<(link|img|image|iframe|object|embed|use)\b|\bsrc=|@import|url\((?!#)/i.exec(markup);
  assert.equal(fetched, null, `the page refers to something to fetch: ${fetched?.[0]}`);
  for (const [, target] of markup.matchAll(/\bhref="([^"]*)"/g)) assert.ok(target!.startsWith('#'), `link to ${target}`);

  // Every chart: the static SVG, the compiled Vega spec, and the Vega-Lite file that reproduces it.
  const figures = [...page.matchAll(/<figure id="chart-([\w-]+)"[^>]*>\s*<div class="chart"><svg[\s\S]*?<\/svg><\/div>[\s\S]*?<script type="application\/json" class="vega-spec">([\s\S]*?)<\/script>/g)];
  assert.deepEqual(figures.map((f) => f[1]).sort(), CHARTS);
  for (const [, , spec] of figures) assert.ok(JSON.parse(spec!).marks.length > 0);
  assert.deepEqual(readdirSync(join(stage, 'charts')).sort(), CHARTS.map((c) => `${c}.vl.json`).sort());
  const reused = JSON.parse(readFileSync(join(stage, 'charts', 'sweep.vl.json'), 'utf8'));
  const svg = await new vega.View(vega.parse(vegaLite.compile(reused).spec), { renderer: 'none' }).toSVG();
  assert.match(svg, /step size ε/);

  // The sweep's λ̂ spans the decades of nβ: a log axis when every λ̂ is positive, else a
  // symmetric log one whose ticks are 0 and ±powers of ten; λ̂/nβ stays linear.
  const sweep = JSON.parse(readFileSync(join(runDir, 'sweep', 'sweep.json'), 'utf8'));
  const finals = (sweep.points as { llc_mean: number | null }[]).flatMap((p) => (p.llc_mean === null ? [] : [p.llc_mean]));
  const [llcY, ratioY] = reused.hconcat.map((panel: { layer: { encoding: { y: { scale?: { type: string }; axis?: { values?: number[] } } } }[] }) => panel.layer[0]!.encoding.y);
  const scaleType = finals.every((v) => v > 0) ? 'log' : 'symlog';
  assert.equal(llcY.scale?.type, scaleType);
  assert.equal(ratioY.scale, undefined);
  for (const v of llcY.axis.values) assert.ok(v === 0 || Number.isInteger(Math.log10(Math.abs(v))), `λ̂ tick ${v} is not 0 or a power of ten`);
  const ticks = llcY.axis.values as number[];
  assert.ok(ticks[0]! <= Math.min(...finals) && ticks.at(-1)! >= Math.max(...finals), 'the λ̂ ticks do not span the data');
  has(page, scaleType === 'log' ? /λ̂ \(left, log scale, since λ̂ grows with nβ\)/ : /λ̂ \(left, symmetric log scale: linear within ±[^,]+, logarithmic beyond, since λ̂ grows with nβ\)/);

  // One λ̂ per sweep point everywhere: sweep.json's is the estimator's (the mean of its chains'
  // λ̂), the same number health.json gives, and its se is health.json's too.
  const sweepHealth = JSON.parse(readFileSync(join(runDir, 'sweep', 'health.json'), 'utf8')).estimates as { llc_mean: number | null; llc_se?: number | null }[];
  type Point = { i: number; j: number; epsilon: number; nbeta: number; llc_mean: number | null; llc_se: number | null; llc_per_chain: (number | null)[]; trace: string };
  (sweep.points as Point[]).forEach((p, k) => {
    const kept = p.llc_per_chain.filter((v): v is number => v !== null);
    if (kept.length) assert.ok(Math.abs(p.llc_mean! - kept.reduce((a, b) => a + b, 0) / kept.length) < 1e-9 * Math.max(1, Math.abs(p.llc_mean!)), `point ${k}: λ̂ is not the mean of its chains`);
    assert.equal(p.llc_mean, sweepHealth[k]!.llc_mean);
    assert.equal(p.llc_se, sweepHealth[k]!.llc_se);
  });
  // The recommendation: its rule and verdict in the findings; every kept point's λ̂ trace drawn,
  // from its trace file's llc mean over chains (this grid has 10 draws: one point per draw).
  has(page, /The rule: A grid point qualifies when \(1\) its chains pass every health check the report warns on/);
  assert.ok(page.includes(escapeHtml(sweep.recommendation.verdict)), 'the sweep verdict is not in the report');
  const traces = JSON.parse(readFileSync(join(stage, 'charts', 'sweep-traces.vl.json'), 'utf8')).data.values as { nbeta: string; epsilon: string; draw: number; llc: number }[];
  for (const p of sweep.points as Point[]) {
    const llcMean = decodeSafetensors(readFileSync(join(runDir, 'sweep', p.trace))).tensors.llc_mean!.data as Float32Array;
    const drawn = traces.filter((t) => t.nbeta === `nβ = ${num(p.nbeta)}` && t.epsilon === num(p.epsilon));
    assert.deepEqual(drawn.map((t) => t.llc), Array.from(llcMean).filter(Number.isFinite).map((v) => Number(v.toPrecision(5))), `the trace of ε=${p.epsilon}, nβ=${p.nbeta}`);
  }
  // The estimate stage's chains, per checkpoint, with a checkpoint selector (live view).
  const chains = JSON.parse(readFileSync(join(stage, 'charts', 'llc-chains.vl.json'), 'utf8'));
  const estimates = JSON.parse(readFileSync(join(runDir, 'estimate', 'estimates.json'), 'utf8'));
  assert.deepEqual(chains.params[0].bind.options, estimates.checkpoints.map((c: { seed: number; step: number }) => `seed ${c.seed}, step ${c.step}`));
  assert.equal(chains.data.values.length, estimates.checkpoints.length * 2 * 10);

  // The data sample: the first report.sample_rows = 12 rows of generate/train.safetensors.
  const summary = JSON.parse(readFileSync(join(runDir, 'generate', 'summary.json'), 'utf8'));
  const train = decodeSafetensors(readFileSync(join(runDir, 'generate', 'train.safetensors'))).tensors;
  const seqLen = train.tokens!.shape[1]!;
  const rows = Array.from({ length: 12 }, (_, i) => ({
    letters: Array.from((train.tokens!.data as BigInt64Array).subarray(i * seqLen, (i + 1) * seqLen), (t) => summary.vocab[Number(t)]).join(''),
    targets: Array.from((train.targets!.data as Float32Array).subarray(i * seqLen, (i + 1) * seqLen)),
  }));
  assert.equal(summary.first_sequences[4].letters, rows[4]!.letters);
  assert.deepEqual([...page.matchAll(/<tr><td>train<\/td><td><span class="mono">(\w+)<\/span><\/td>/g)].map((m) => m[1]), rows.map((x) => x.letters));
  const sample = JSON.parse(readFileSync(join(stage, 'charts', 'data-sample.vl.json'), 'utf8')).data.values as { sequence: string; pos: number; letter: string; target: number }[];
  assert.deepEqual(
    sample.map((c) => [c.sequence, c.pos, c.letter, c.target]),
    rows.flatMap((x, i) => [...x.letters].map((letter, pos) => [`train #${i + 1}`, pos, letter, x.targets[pos]])),
  );
  has(page, /The first 12 training sequences of generate\/train\.safetensors/);
  assert.ok(!page.includes('report.sample_rows asks for'), 'a note says the sample rows are not honoured');

  // The run's facts: devices, backends, tools, config, warnings.
  const manifest = JSON.parse(readFileSync(join(stage, 'manifest.json'), 'utf8'));
  for (const input of ['generate/summary.json', 'train/seed-0/metrics.json', 'train/seed-1/metrics.json', 'estimate/estimates.json', 'sweep/sweep.json', 'calibration/calibration.json', 'calibration/trace.safetensors']) {
    assert.ok(manifest.inputs[input], `report did not record ${input}`);
  }
  assert.equal(manifest.tools.vega, vega.version);
  has(page, /<td>train<\/td><td>[^<]+<\/td><td class="num">[^<]+<\/td><td>wasm<\/td>/);
  has(page, /Training engine: <b>tfjs<\/b> — auto: train\.backend = wasm asks for tfjs; tfjs backend: wasm/);
  has(page, /<td>estimate<\/td><td>[^<]+<\/td><td class="num">[^<]+<\/td><td>—<\/td><td>cpu<\/td>/);
  has(page, /onnxruntime-node/);
  has(page, /<code>steps<\/code><\/td><td><b>40<\/b> <span class="muted">\(default 3000\)/);
  // The health summary counts each problem over a stage's estimates: the sweep's ε = 30
  // points diverge by design (3 of its 12 points).
  has(page, /<td>diverged chains<\/td><td class="num">3 of 12<\/td>/);
  // λ̂ with its standard error, labelled, from health.json.
  has(page, /± gives the standard error \(se over 2 chains\)/);
  has(page, /<th class="num">se over 2 chains<\/th>/);

  // Statements follow the numbers in the artifacts.
  const metrics = JSON.parse(readFileSync(join(runDir, 'train', 'seed-1', 'metrics.json'), 'utf8')).rows as { step: number; train_mae: number; test_mae: number }[];
  const widest = metrics.reduce((a, m) => (Math.abs(m.test_mae - m.train_mae) > Math.abs(a.test_mae - a.train_mae) ? m : a));
  assert.ok(page.includes(`Seed 1: train and test MAE`) && page.includes(`the widest gap is test − train = ${num(widest.test_mae - widest.train_mae)}`), 'the separation statement does not match seed 1\'s metrics.json');
  assert.ok(page.includes(`dropout p = 0.1 was on for all 40 steps`));
  // The tiny config's largest ε (30) diverges every chain: the statement counts those points.
  const diverged = sweep.points.filter((p: { diverged: unknown[] }) => p.diverged.length > 0).length;
  assert.ok(diverged > 0, 'no grid point of the sweep diverged');
  assert.ok(page.includes(`${diverged} of ${sweep.points.length} grid points had diverging chains`));
  // The notebook's claims: each quoted, with a verdict, the test and the numbers; two seeds are too few for the seed claim.
  const claims = [...page.matchAll(/<div class="claim (supported|contradicted|cannot-tell)"><h3>“([^”]+)”<\/h3><p class="verdict"><strong>(supported|contradicted|cannot tell)<\/strong>: ([^<]+)<\/p>/g)];
  assert.deepEqual(claims.map((c) => c[2]!.slice(0, 20)), ['The LLC first increa', 'The LLC, measured on', 'This behaviour is ro']);
  assert.equal(claims[2]![3], 'cannot tell');
  assert.equal(claims[2]![4], '2 training seeds: at least 3 are needed to say (train.seeds).');
  has(page, /<h3>Phases of each run<\/h3>/);
});

// report.html in a real browser: headless Chromium (Debian's package, driven by
// playwright-core) opens it from a file:// URL, every chart turns into a live vega view
// with marks, hovering shows a tooltip, scrolling zooms, no console error appears, and no request is made
// but the file itself. Without JavaScript the static SVGs are there. Skips where
// /usr/bin/chromium is absent. REPORT_SCREENSHOT=<file.png> keeps the screenshot.
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PAGE_CHARTS = ['training-mae', 'training-loss', 'llc-seeds', 'llc-vs-mae', 'llc-vs-loss', 'llc-chains', 'sweep', 'sweep-traces', 'calibration-trace', 'data-sample'];

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (apt-get install chromium to run the browser test)`;

test('report.html in headless Chromium: every chart live, tooltips and zoom, no console error, no network request', { skip, timeout: 120_000 }, async (t) => {
  const r = await pipeline(['run', 'report', '--run', 'r'], root);
  assert.equal(r.code, 0, r.stderr);
  const url = pathToFileURL(join(runDir, 'report', 'report.html')).href;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (req) => requests.push(req.url()));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('figure[data-chart]')].every((f) => f.dataset.state !== 'static'), null, { timeout: 30_000 });

  const charts = await page.$$eval('figure[data-chart]', (figs) =>
    figs.map((f) => ({ name: (f as HTMLElement).dataset.chart, state: (f as HTMLElement).dataset.state, marks: f.querySelectorAll('.chart svg .role-mark > *').length })),
  );
  assert.deepEqual(charts.map((c) => c.name), PAGE_CHARTS);
  for (const c of charts) {
    assert.equal(c.state, 'live', `chart ${c.name} did not become a live view`);
    assert.ok(c.marks > 0, `chart ${c.name} has no marks`);
  }

  // Hovering a λ̂ point shows its values (vega's default tooltip: the view's title).
  const point = page.locator('#chart-llc-vs-mae .chart svg .mark-symbol path').first();
  await point.hover({ force: true });
  const tooltip = await page.locator('#chart-llc-vs-mae .chart [title]').first().getAttribute('title');
  assert.match(tooltip ?? '', /λ̂/);

  // Scrolling over a chart zooms its x axis (an interval selection bound to the scales).
  const axis = page.locator('#chart-training-mae .chart svg .role-axis-label').first();
  const before = await axis.innerHTML();
  const chart = page.locator('#chart-training-mae .chart svg');
  await chart.scrollIntoViewIfNeeded();
  const box = (await chart.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
  await page.mouse.wheel(0, -400);
  await page.waitForFunction((html) => document.querySelector('#chart-training-mae .chart svg .role-axis-label')!.innerHTML !== html, before);

  // The per-chain traces follow the checkpoint selector.
  const lines = () => page.locator('#chart-llc-chains .chart svg .mark-line path').evaluateAll((ps) => ps.map((p) => p.getAttribute('d')).join());
  const last = await lines();
  await page.locator('#chart-llc-chains select').selectOption('seed 0, step 10');
  await page.waitForFunction((d) => [...document.querySelectorAll('#chart-llc-chains .chart svg .mark-line path')].map((p) => p.getAttribute('d')).join() !== d, last);

  await page.screenshot({ path: process.env.REPORT_SCREENSHOT ?? join(root, 'report.png'), fullPage: true });
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, [url], 'the page requested something besides itself');

  // Without JavaScript the page still shows every chart as SVG.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const still = await noJs.newPage();
  await still.goto(url);
  assert.equal(await still.locator('figure[data-state="static"] .chart svg').count(), PAGE_CHARTS.length);
  assert.ok(statSync(process.env.REPORT_SCREENSHOT ?? join(root, 'report.png')).size > 50_000);
});

test('the report sees only its config slice: other sections changed in config.json do not change it, and pipeline run --single refuses to report over them', { timeout: 60_000 }, async () => {
  const page = () => readFileSync(join(runDir, 'report', 'report.html'), 'utf8').replace(/ · report made [^<]*/, '');
  const before = page();
  has(before, /each from 2 chains × 10 draws/);
  has(before, /dropout p = 0\.1 was on for all 40 steps/);
  const saved = readSavedConfig(runDir);
  writeSavedConfig(runDir, { ...saved, estimate: { ...saved.estimate, num_draws: 75 }, train: { ...saved.train, steps: 999 } });
  try {
    const direct = await execa(process.execPath, ['--import', 'tsx', join(ROOT, 'stages/report/main.ts'), '--run-dir', runDir], { cwd: ROOT, reject: false });
    assert.equal(direct.exitCode, 0, String(direct.stderr));
    assert.equal(page(), before);
    // The CLI never shows a report over artifacts made otherwise: with --single it refuses, naming the stale stage.
    const single = await pipeline(['run', 'report', '--single', '--run', 'r'], root);
    assert.equal(single.code, 2);
    assert.match(single.stderr, /--single: stage report reads the artifacts of train, which is stale in run r \(config train\.steps changed: 40 → 999[;)]/);
  } finally {
    writeSavedConfig(runDir, saved);
  }
});

test('report statements change with the data they describe; changed or missing artifacts are refused', { timeout: 60_000 }, async () => {
  assert.ok(statementsOf(runDir).some((s) => s.startsWith('Training ran in train mode throughout')));

  const train = join(runDir, 'train');
  const model = JSON.parse(readFileSync(join(train, 'model.json'), 'utf8'));
  const metrics = JSON.parse(readFileSync(join(train, 'seed-0', 'metrics.json'), 'utf8'));
  // A run without dropout whose test MAE pulls away from the train MAE at the end.
  writeFileSync(join(train, 'model.json'), JSON.stringify({ ...model, dropout: 0 }));
  for (const row of metrics.rows) row.test_mae = 1.05 * row.train_mae;
  metrics.rows.at(-1).test_mae = 2 * metrics.rows.at(-1).train_mae;
  writeFileSync(join(train, 'seed-0', 'metrics.json'), JSON.stringify(metrics));
  // The readers check hashes, so the doctored files must be re-recorded in the manifest.
  const manifest = JSON.parse(readFileSync(join(train, 'manifest.json'), 'utf8'));
  for (const f of ['model.json', 'seed-0/metrics.json']) {
    const bytes = readFileSync(join(train, f));
    manifest.outputs[f] = { sha256: sha256(bytes), bytes: bytes.length };
  }
  writeFileSync(join(train, 'manifest.json'), JSON.stringify(manifest));

  const after = statementsOf(runDir);
  assert.ok(after.includes('Training ran without dropout (p = 0) for 40 steps, once for each of 2 training seeds (0, 1).'));
  const last = metrics.rows.at(-1);
  const separation = `Seed 0: train and test MAE separate by more than 10% at 1 of ${metrics.rows.length} evaluations, first at step ${last.step}; the widest gap is test − train = ${num(last.test_mae - last.train_mae)} (67% of their mean) at step ${last.step}.`;
  assert.ok(after.includes(separation), after.join('\n'));

  // A changed artifact is refused, naming it; a missing stage is named too.
  const sweepJson = join(runDir, 'sweep', 'sweep.json');
  const original = readFileSync(sweepJson);
  writeFileSync(sweepJson, '{}');
  // Run by itself: `pipeline run report` would first redo the sweep, whose output changed.
  const reportStage = () => execa(process.execPath, ['--import', 'tsx', join(ROOT, 'stages/report/main.ts'), '--run-dir', runDir], { cwd: ROOT, reject: false });
  const tampered = await reportStage();
  assert.equal(tampered.exitCode, 1);
  assert.match(String(tampered.stderr), /sweep\/sweep\.json: sha256 .* does not match/);
  writeFileSync(sweepJson, original);
  rmSync(join(runDir, 'calibration'), { recursive: true });
  const direct = await reportStage();
  assert.equal(direct.exitCode, 1);
  assert.match(String(direct.stderr), /report: error: the report needs the artifacts of calibration, which has not finished in run r/);
});
