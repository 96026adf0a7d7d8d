// HTML built with a tagged template that escapes every interpolated value unless it is
// already Html, so data (config strings, warnings, run ids) can never break the page.

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function part(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(strings.reduce((out, s, i) => out + s + (i < values.length ? part(values[i]) : ''), ''));
}

/** Trusted markup (the SVG vega renders, the vega runtime, the page's own CSS). */
export const raw = (text: string) => new Html(text);

export type Cell = string | number | Html;

/** A table; `numeric` columns are right-aligned. */
export function table(head: string[], rows: Cell[][], numeric: number[] = []): Html {
  const cls = (i: number) => (numeric.includes(i) ? raw(' class="num"') : '');
  return html`<table><thead><tr>${head.map((h, i) => html`<th${cls(i)}>${h}</th>`)}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${r.map((c, i) => html`<td${cls(i)}>${c}</td>`)}</tr>`,
  )}</tbody></table>`;
}
