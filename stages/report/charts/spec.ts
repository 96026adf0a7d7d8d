// What every chart shares: its look (fonts, sizes, palette) and its interaction. Each spec
// carries the whole config so a chart saved as charts/<name>.vl.json looks the same when a
// user opens it elsewhere.
import type { Config, TopLevelSpec } from 'vega-lite';
import type { Field } from 'vega-lite/types_unstable/channeldef.js';
import type { SelectionParameter } from 'vega-lite/types_unstable/selection.js';
import type { LayerSpec } from 'vega-lite/types_unstable/spec/layer.js';
import type { UnitSpec } from 'vega-lite/types_unstable/spec/unit.js';

export type Spec = TopLevelSpec;
export type Unit = UnitSpec<Field>;
export type Layer = LayerSpec<Field>;

/** A chart as the report shows it: the spec plus the words around it. */
export interface ChartDef {
  /** File name stem: charts/<name>.vl.json, and the figure's id on the page. */
  name: string;
  title: string;
  /** What is plotted and how to read it (not findings: those are derived in statements.ts). */
  caption: string;
  spec: Spec;
}

export const WIDTH = 820;
export const HEIGHT = 250;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

export const COLOR = {
  train: '#4c78a8',
  test: '#f58518',
  batch: '#9d9d9d',
  llc: '#6a3d9a',
  diverged: '#d62728',
  reference: '#6b6b6b',
  ink: '#222222',
};

const CONFIG: Config = {
  font: FONT,
  background: 'white',
  padding: 6,
  view: { stroke: null },
  axis: { labelColor: '#444', titleColor: '#333', titleFontWeight: 600, gridColor: '#ececec', domainColor: '#999', tickColor: '#999' },
  // Line symbols at full strength (a legend shared with a translucent band would take its opacity).
  legend: { orient: 'bottom', direction: 'horizontal', titleColor: '#333', labelColor: '#444', labelLimit: 360, symbolOpacity: 1, symbolType: 'stroke', symbolStrokeWidth: 2.5 },
  // Round joins: a sharp peak with a miter join draws a spike past its point.
  line: { strokeWidth: 1.8, strokeJoin: 'round' },
  point: { size: 28, filled: true },
};

export function chart(spec: Spec): Spec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, ...spec };
}

/** Drag to pan and wheel to zoom along x, double-click to reset: an interval selection bound to the x scale. */
export function zoomX(name = 'zoom'): SelectionParameter {
  return { name, select: { type: 'interval', encodings: ['x'] }, bind: 'scales' };
}

/** A dashed horizontal line at `value`, named in the legend (a label on the plot would sit under the data). */
export function referenceLine(value: number, label: string): Unit {
  return {
    data: { values: [{ value, label }] },
    mark: { type: 'rule', color: COLOR.reference, strokeWidth: 1.2 },
    encoding: {
      y: { field: 'value', type: 'quantitative' },
      strokeDash: { field: 'label', type: 'nominal', title: null, scale: { range: [[5, 4]] } },
      tooltip: [{ field: 'label', type: 'nominal', title: 'reference' }, { field: 'value', type: 'quantitative', format: '.4g' }],
    },
  };
}

/** Points on a line: drawn when there are few, else invisible but still there to carry the tooltips. */
export function hoverPoints(perLine: number) {
  return perLine <= 60 ? { size: 26 } : { size: 40, opacity: 0 };
}

/** Most points a chart draws per trace line: longer traces are shown as means of blocks of consecutive draws. */
export const TRACE_POINTS = 200;

/** Draws per plotted point for a trace of `draws` draws (1: every draw). */
export const blockOf = (draws: number) => Math.ceil(draws / TRACE_POINTS);

/** A trace (one row of draws) as points: the mean of each block of `block` draws at the
 * block's middle draw, 5 significant digits; null where a block holds a non-finite value. */
export function blockMeans(row: ArrayLike<number>, block: number): { draw: number; value: number | null }[] {
  return Array.from({ length: Math.ceil(row.length / block) }, (_, b) => {
    const end = Math.min(row.length, (b + 1) * block);
    let sum = 0;
    for (let d = b * block; d < end; d++) sum += row[d]!;
    const value = sum / (end - b * block);
    return { draw: (b * block + end - 1) / 2, value: Number.isFinite(value) ? Number(value.toPrecision(5)) : null };
  });
}

/** The caption's words for blockOf(draws). */
export const blockNote = (block: number) => (block > 1 ? ` Each point is the mean of ${block} consecutive draws.` : '');
