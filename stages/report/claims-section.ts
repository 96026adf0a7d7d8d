// The report's "Notebook's claims" section: each claim in the notebook's words, its verdict
// and why, how it was tested, and the numbers behind it (claims.ts derives them all), then
// the phases found in each run.
import { html, table, type Html } from './html.ts';
import type { ClaimsResult } from './claims.ts';

const fmt = (x: number) => String(Number(x.toPrecision(3)));

export function claimsBody(r: ClaimsResult): Html {
  const span = (s: { from: number; to: number } | null) => (s ? `${s.from.toLocaleString('en')} – ${s.to.toLocaleString('en')}` : '—');
  const phases = table(
    ['seed', 'memorisation (steps)', 'generalisation (steps)', 'after (steps)', 'final test MAE / constant', 'widest test − train MAE / constant'],
    r.phases.map((p) => [String(p.seed), span(p.memorisation), span(p.generalisation), span(p.after), fmt(p.finalToConstant), `${fmt(p.widestGap.gap)} (step ${p.widestGap.step.toLocaleString('en')})`]),
    [0, 4, 5],
  );
  return html`${r.claims.map(
    (c) => html`<div class="claim ${c.verdict.replace(' ', '-')}"><h3>“${c.quote}”</h3><p class="verdict"><strong>${c.verdict}</strong>: ${c.because}.</p><ul class="findings">${c.evidence.map((e) => html`<li>${e}</li>`)}</ul><p class="test">How it is tested: ${c.test}</p></div>`,
  )}<h3>Phases of each run</h3>${phases}`;
}
