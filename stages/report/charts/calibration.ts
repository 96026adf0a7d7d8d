// The calibration loss trace (SPEC.md §6, the notebook's long trace on one checkpoint): the
// SGLD loss of each chain per draw, their mean over the chains that did not diverge with a
// ± standard error band (std/√chains, where there are two or more), and the loss at the
// starting weights for reference.
import type { Calibration } from '../../../schemas/calibration.ts';
import { meanStd } from '../../../pipeline/lib/util/moments.ts';
import { COLOR, HEIGHT, WIDTH, chart, hoverPoints, referenceLine, zoomX, type Spec } from './spec.ts';

const MEAN = 'mean over chains ± se';
const CHAIN_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d'];

/** Per draw mean of the finite losses of the chains in `kept`, ± its standard error over them. */
export function meanTrace(loss: Float32Array, draws: number, kept: number[]): { draw: number; mean: number; lo: number; hi: number }[] {
  return Array.from({ length: draws }, (_, d) => {
    const v = kept.map((c) => loss[c * draws + d]!).filter(Number.isFinite);
    const { mean, std } = meanStd(v);
    // One chain left: no error bar to draw.
    const se = Number.isFinite(std) ? std / Math.sqrt(v.length) : 0;
    return { draw: d, mean, lo: mean - se, hi: mean + se };
  }).filter((r) => Number.isFinite(r.mean));
}

/** At most this many points carry the mean's tooltips: one per draw would bloat a long trace's SVG. */
const TOOLTIP_POINTS = 300;
/** float32 losses carry about 7 significant digits; more only lengthens the JSON. */
const f32 = (v: number) => Number(v.toPrecision(7));

export function calibrationChart(cal: Calibration, loss: Float32Array): Spec {
  const { num_chains: chains, num_draws: draws } = cal;
  const names = Array.from({ length: chains }, (_, c) => `chain ${c}`);
  const diverged = new Set(cal.diverged.map((d) => d.chain));
  const kept = names.map((_, c) => c).filter((c) => !diverged.has(c));
  // One row per draw — each chain's loss and the mean — so the long trace is stored once.
  const mean = new Map(meanTrace(loss, draws, kept).map((r) => [r.draw, r]));
  const values = Array.from({ length: draws }, (_, d) => {
    const m = mean.get(d);
    const row: Record<string, number | null> = { draw: d, mean: m ? f32(m.mean) : null, lo: m ? f32(m.lo) : null, hi: m ? f32(m.hi) : null };
    names.forEach((name, c) => (row[name] = Number.isFinite(loss[c * draws + d]!) ? f32(loss[c * draws + d]!) : null));
    return row;
  });
  const every = Math.ceil(draws / TOOLTIP_POINTS);
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: [...names, MEAN], range: [...names.map((_, c) => CHAIN_COLORS[c % CHAIN_COLORS.length]!), COLOR.ink] } } as const;
  const x = { field: 'draw', type: 'quantitative', title: 'draw', scale: { nice: false } } as const;
  const y = { type: 'quantitative', title: 'SGLD minibatch loss', scale: { zero: false } } as const;
  return chart({
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    layer: [
      { mark: { type: 'area', opacity: 0.22, color: COLOR.ink }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' } } },
      {
        transform: [{ fold: names, as: ['series', 'loss'] }, { filter: 'isValid(datum.loss)' }],
        params: [zoomX()],
        mark: { type: 'line', strokeWidth: 1, opacity: 0.6 },
        // A line's tooltip can only name the line; the values come from the mean's points.
        encoding: { x, y: { ...y, field: 'loss' }, color, tooltip: [{ field: 'series', type: 'nominal' }] },
      },
      { transform: [{ calculate: `'${MEAN}'`, as: 'series' }], mark: { type: 'line', strokeWidth: 1.6 }, encoding: { x, y: { ...y, field: 'mean' }, color } },
      {
        transform: [{ filter: `isValid(datum.mean) && datum.draw % ${every} === 0` }],
        mark: { type: 'point', ...hoverPoints(Math.ceil(draws / every)), color: COLOR.ink },
        encoding: { x, y: { ...y, field: 'mean' }, tooltip: [{ field: 'draw', type: 'quantitative' }, { field: 'mean', type: 'quantitative', format: '.4g' }, { field: 'lo', type: 'quantitative', format: '.4g', title: 'mean − se' }, { field: 'hi', type: 'quantitative', format: '.4g', title: 'mean + se' }] },
      },
      referenceLine(cal.init_loss, 'loss at the checkpoint (init_loss)'),
    ],
  });
}
