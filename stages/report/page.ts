// The page shell shared by the report and `pipeline diff`: one self-contained HTML file.
// Each chart is inlined twice — as the SVG vega rendered in Node, so the page reads
// without JavaScript, and as its compiled Vega spec, which vega's own runtime (inlined
// too) turns into a live view with tooltips and zoom when scripts run. The content
// security policy forbids every network request, so a stray reference to a remote file
// fails loudly instead of leaking.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { html, raw, type Html } from './html.ts';
import type { RenderedChart } from './render.ts';
import type { Findings } from './statements.ts';

export interface Section {
  id: string;
  title: string;
  body: Html;
}

export interface Page {
  title: string;
  /** Under the title: run ids and dates. */
  subtitle: Html;
  /** Headline numbers shown as cards under the header. */
  glance: { label: string; value: string; note?: string }[];
  sections: Section[];
}

/** vega's browser build, from the same package version that rendered the SVGs. */
function vegaRuntime(): string {
  const js = readFileSync(join(dirname(fileURLToPath(import.meta.resolve('vega'))), 'vega.min.js'), 'utf8');
  // Inside <script>, only "</script" could end the element early.
  return js.replace(/<\/script/gi, '<\\/script');
}

/** JSON safe inside <script>: no "<" at all, so no "</script" or "<!--". */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const CSP = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:";

const CSS = `
:root { --ink: #1f2328; --muted: #5b636b; --line: #e3e6ea; --accent: #6a3d9a; --warn-bg: #fff6e0; --warn: #8a5a00; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: linear-gradient(120deg, #2d1b4e, #4a2c7a); color: #fff; padding: 28px 0 24px; }
header h1 { margin: 0 0 6px; font-size: 28px; font-weight: 650; letter-spacing: -0.01em; }
header p { margin: 0; color: #ddd3ee; font-size: 14px; }
header code { color: #fff; background: rgba(255,255,255,.12); }
.wrap { max-width: 1080px; margin: 0 auto; padding: 0 28px; }
.glance { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; margin: -18px auto 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; box-shadow: 0 1px 3px rgba(0,0,0,.05); }
.card .label { color: var(--muted); font-size: 12.5px; }
.card .value { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .note { color: var(--muted); font-size: 12.5px; }
nav.toc { margin: 22px 0 8px; font-size: 14px; }
nav.toc ol { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; padding: 0; margin: 0; counter-reset: toc; }
nav.toc li { counter-increment: toc; }
nav.toc li::before { content: counter(toc) ". "; color: var(--muted); }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
section { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 6px 26px 20px; margin: 18px 0; }
h2 { font-size: 20px; margin: 16px 0 10px; }
h3 { font-size: 15.5px; margin: 18px 0 6px; color: #444; }
h3 a { color: inherit; text-decoration: none; }
figure { margin: 14px 0 22px; }
figure .chart { overflow-x: auto; }
figure .chart svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 4px; }
figcaption b { color: var(--ink); font-weight: 600; }
ul.findings { padding-left: 0; list-style: none; margin: 6px 0; }
ul.findings li { padding: 6px 10px 6px 14px; border-left: 3px solid #cfc4e3; margin: 6px 0; background: #fbfaff; border-radius: 0 6px 6px 0; }
ul.findings li.warn { border-left-color: #e0a100; background: var(--warn-bg); }
.warning { color: var(--warn); }
.claim { background: #fff; border: 1px solid var(--line); border-left: 5px solid #9aa1a8; border-radius: 8px; padding: 4px 18px 10px; margin: 14px 0; }
.claim.supported { border-left-color: #2e8b57; }
.claim.contradicted { border-left-color: #c0392b; }
.claim h3 { font-style: italic; font-weight: 550; }
.claim .verdict strong { text-transform: uppercase; letter-spacing: .04em; font-size: 13px; }
.claim.supported .verdict strong { color: #2e8b57; }
.claim.contradicted .verdict strong { color: #c0392b; }
.claim .test { color: var(--muted); font-size: 13.5px; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 8px 0 14px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) td { background: #fcfcfd; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; background: #f2f3f5; padding: 1px 4px; border-radius: 4px; }
details { margin: 8px 0; }
.muted { color: var(--muted); font-size: 12.5px; }
ul.plain { margin: 0; padding-left: 16px; }
.config-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 0 28px; }
.config-grid h4 { margin: 10px 0 0; font-size: 14px; }
.config-grid table { margin-top: 4px; }
summary { cursor: pointer; color: var(--accent); }
.changed { background: #fff6e0; }
footer { color: var(--muted); font-size: 12.5px; padding: 10px 0 40px; }
@media print { header { background: none; color: var(--ink); } section { break-inside: avoid; } }
`;

/** Replaces each static chart with a live vega view once it has rendered. */
const BOOT = `
(function () {
  if (!window.vega) return;
  document.querySelectorAll('figure[data-chart]').forEach(function (fig) {
    var holder = fig.querySelector('.chart');
    var spec = JSON.parse(fig.querySelector('script.vega-spec').textContent);
    var live = document.createElement('div');
    var view = new vega.View(vega.parse(spec), { renderer: 'svg', container: live, hover: true });
    view.runAsync().then(function () {
      holder.replaceChildren(live);
      fig.dataset.state = 'live';
    }, function (e) {
      fig.dataset.state = 'failed';
      console.error('chart ' + fig.id + ': ' + e);
    });
  });
})();
`;

export function figure(c: RenderedChart): Html {
  return html`<figure id="chart-${c.name}" data-chart="${c.name}" data-state="static">
<div class="chart">${raw(c.svg)}</div>
<figcaption><b>${c.title}.</b> ${c.caption}</figcaption>
<script type="application/json" class="vega-spec">${raw(scriptJson(c.vega))}</script>
</figure>`;
}

export function findingsList(f: Findings): Html {
  return html`<ul class="findings">${f.items.map((s) => html`<li${s.warn ? raw(' class="warn"') : ''}>${s.text}</li>`)}</ul>`;
}

export function renderPage(p: Page): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${raw(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title}</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header><div class="wrap"><h1>${p.title}</h1><p>${p.subtitle}</p></div></header>
<main class="wrap">
${p.glance.length ? html`<div class="glance">${p.glance.map((g) => html`<div class="card"><div class="label">${g.label}</div><div class="value">${g.value}</div>${g.note ? html`<div class="note">${g.note}</div>` : ''}</div>`)}</div>` : ''}
<nav class="toc" aria-label="Contents"><ol>${p.sections.map((s) => html`<li><a href="#${s.id}">${s.title}</a></li>`)}</ol></nav>
${p.sections.map((s) => html`<section id="${s.id}"><h2>${s.title}</h2>${s.body}</section>\n`)}
<footer>One self-contained file: the charts are SVG rendered by vega in Node and, with JavaScript, live vega views (hover for values, drag to pan, scroll to zoom, double-click to reset). It makes no network request.</footer>
</main>
<script>${raw(vegaRuntime())}</script>
<script>${raw(BOOT)}</script>
</body>
</html>
`.text;
}
