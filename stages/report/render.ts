// Vega-Lite → Vega → SVG in Node: each chart is compiled once; the Vega spec goes into the
// page for the live view, the SVG for readers without JavaScript. A Vega-Lite warning
// (a dropped encoding, an unknown field) means a chart that silently shows less than it
// should, so it fails the render.
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { ChartDef } from './charts/spec.ts';

export interface RenderedChart extends ChartDef {
  vega: vega.Spec;
  svg: string;
}

export const RENDERER_TOOLS = { vega: vega.version, 'vega-lite': vegaLite.version };

/** A vega logger whose warnings and errors throw, naming the chart. */
function strictLogger(name: string): vega.LoggerInterface {
  return vega.logger(vega.Warn, undefined, (_method, level, args) => {
    throw new Error(`chart ${name}: vega-lite ${level.toLowerCase()}: ${args.map(String).join(' ')}`);
  });
}

/**
 * Gives the SVG's ids (clip paths, gradients) the chart's name as a prefix: vega numbers
 * them from 1 in every process, so the static SVGs and the live views on one page would
 * otherwise share ids and borrow each other's clip regions.
 */
function scopeIds(svg: string, prefix: string): string {
  return svg.replace(/(\bid="|url\(#)([^")]+)/g, (_, head: string, id: string) => `${head}${prefix}-${id}`);
}

export async function renderChart(def: ChartDef): Promise<RenderedChart> {
  const spec = vegaLite.compile(def.spec, { logger: strictLogger(def.name) }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return { ...def, vega: spec, svg: scopeIds(await view.toSVG(), `static-${def.name}`) };
  } finally {
    view.finalize();
  }
}
