// report.html in a real browser: headless Chromium (Debian's package, driven by
// playwright-core) opens it from a file:// URL, every chart turns into a live vega view
// with marks, hovering shows a tooltip, scrolling zooms, no console error appears, and no request is made
// but the file itself. Without JavaScript the static SVGs are there. Skips where
// /usr/bin/chromium is absent. REPORT_SCREENSHOT=<file.png> keeps the screenshot.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { pipeline, tempDir } from '../helpers/cli.ts';
import { buildRun } from '../helpers/report-run.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CHARTS = ['training-mae', 'training-loss', 'llc-seeds', 'llc-vs-mae', 'llc-vs-loss', 'llc-chains', 'sweep', 'sweep-traces', 'calibration-trace', 'data-sample'];

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (apt-get install chromium to run the browser test)`;

test('report.html in headless Chromium: every chart live, tooltips and zoom, no console error, no network request', { skip, timeout: 120_000 }, async (t) => {
  const root = tempDir(t, 'llc-report-browser-');
  await buildRun(root, 'r');
  const r = await pipeline(['run', 'report', '--run', 'r'], root);
  assert.equal(r.code, 0, r.stderr);
  const url = pathToFileURL(join(root, 'r', 'report', 'report.html')).href;

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
  assert.deepEqual(charts.map((c) => c.name), CHARTS);
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
  assert.equal(await still.locator('figure[data-state="static"] .chart svg').count(), CHARTS.length);
  assert.ok(statSync(process.env.REPORT_SCREENSHOT ?? join(root, 'report.png')).size > 50_000);
});
