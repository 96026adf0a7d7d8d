// The calibration sweep (SPEC.md §5): each grid point's λ̂ (log or symmetric-log scale, see
// llcScale) and λ̂/nβ (linear) against the step size ε (log scale), one line per nβ. A grid
// point whose chains diverged is a red cross at its value, or at the top edge when no chain
// was left to give one; the recommended point is ringed. Several runs (pipeline diff) are
// told apart by dash pattern.
import type { Sweep } from '../../../schemas/sweep.ts';
import { num } from '../format.ts';
import { COLOR, HEIGHT, WIDTH, chart, zoomX, type Layer, type Spec } from './spec.ts';

export interface RunSweep {
  run: string;
  sweep: Sweep;
}

const PANELS = [
  { field: 'llc', title: 'λ̂' },
  { field: 'llc_over_nbeta', title: 'λ̂ / nβ' },
] as const;

const nbetaLabel = (nbeta: number) => num(nbeta, 3);

/** Most ticks on the λ̂ axis (250 px high); beyond, only every 2nd, 3rd, … decade is labelled. */
const MAX_TICKS = 9;
/** The symlog axis resolves |λ̂| down to this many decades below its largest value. */
const SYMLOG_DECADES = 7;

const exponent = (x: number, round: (x: number) => number) => round(Math.log10(x));
const pow10 = (k: number) => Number(`1e${k}`);
/** Every `step`-th exponent from `to` down to `from`, ascending: the end of the axis is always labelled. */
const exponents = (from: number, to: number, step: number) => Array.from({ length: Math.max(0, Math.floor((to - from) / step) + 1) }, (_, i) => to - i * step).reverse();

/** Plain decimals where they are short, else 1e-5 style. */
const LABEL = "datum.value == 0 || (abs(datum.value) >= 1e-3 && abs(datum.value) < 1e5) ? format(datum.value, '~r') : format(datum.value, '.0e')";
/** Ticks at exactly `values`: vega halves a list longer than the tick count (by default about one per 40 px). */
const withTicks = (values: number[]) => ({ values, tickCount: values.length, labelExpr: LABEL });

export interface LlcScale {
  /** The Vega-Lite scale and axis of the λ̂ panel. */
  scale: { type: 'linear' | 'log' | 'symlog'; domain?: number[]; nice?: boolean; zero?: boolean; constant?: number };
  axis: { values?: number[]; tickCount?: number; labelExpr?: string };
  /** How to read the axis, for the caption. */
  note: string;
}

/**
 * The y scale of the λ̂ panel. λ̂ grows with nβ, which the grid spans over five
 * orders of magnitude, so on a linear axis every line but the largest nβ's would sit on
 * zero: a log scale when every λ̂ is positive, else a symmetric log scale, linear within
 * ±C (a power of ten near the smallest |λ̂|) and logarithmic beyond, with ticks at 0 and
 * at ±powers of ten.
 */
export function llcScale(runs: RunSweep[]): LlcScale {
  const values = runs.flatMap((r) => r.sweep.points.map((p) => p.llc_mean)).filter((v): v is number => v !== null && Number.isFinite(v));
  const nonzero = values.map(Math.abs).filter((v) => v > 0);
  if (nonzero.length === 0) return { scale: { type: 'linear' }, axis: {}, note: 'linear scale' };
  const top = exponent(Math.max(...nonzero), Math.ceil);
  if (values.every((v) => v > 0)) {
    const bottom = Math.min(exponent(Math.min(...nonzero), Math.floor), top - 1);
    const step = Math.ceil((top - bottom + 1) / MAX_TICKS);
    return {
      scale: { type: 'log', domain: [pow10(bottom), pow10(top)], nice: false },
      axis: withTicks(exponents(bottom, top, step).map(pow10)),
      note: 'log scale',
    };
  }
  // ±C, the edge of the linear part: the decade of the smallest |λ̂|, at most SYMLOG_DECADES below the top.
  const c = Math.max(exponent(Math.min(...nonzero), Math.floor), top - SYMLOG_DECADES);
  const max = Math.max(...values);
  const min = Math.min(...values);
  const up = max > 0 ? Math.max(c, exponent(max, Math.ceil)) : null;
  const down = min < 0 ? Math.max(c, exponent(-min, Math.ceil)) : null;
  // ±C sits log(2) from 0 in the scale's units, against log(10) between decades: labelled only
  // where that is a sixteenth of the axis or more, else its label would run into 0's.
  const at = (k: number | null) => (k === null ? 0 : Math.log1p(10 ** (k - c)));
  const from = Math.LN2 >= (at(up) + at(down)) / 16 ? c : c + 1;
  const decades = 1 + Math.max(0, (up ?? from - 1) - from + 1) + Math.max(0, (down ?? from - 1) - from + 1);
  const step = Math.ceil(decades / MAX_TICKS);
  const ticks = [...(down === null ? [] : exponents(from, down, step).reverse().map((k) => -pow10(k))), 0, ...(up === null ? [] : exponents(from, up, step).map(pow10))];
  return {
    scale: { type: 'symlog', constant: pow10(c), domain: [down === null ? 0 : -pow10(down), up === null ? 0 : pow10(up)], nice: false, zero: false },
    axis: withTicks(ticks),
    note: `symmetric log scale: linear within ±${num(pow10(c))}, logarithmic beyond`,
  };
}

export function sweepChart(runs: RunSweep[]): Spec {
  const values = runs.flatMap(({ run, sweep }) =>
    sweep.points.map((p) => ({
      run,
      epsilon: p.epsilon,
      nbeta: nbetaLabel(p.nbeta),
      llc: p.llc_mean,
      llc_over_nbeta: p.llc_over_nbeta,
      se: p.llc_se,
      diverged: p.diverged.length === 0 ? 'none' : `${p.diverged.length} of ${sweep.num_chains} chains`,
      all_diverged: p.llc_mean === null,
      recommended: sweep.recommendation.point?.i === p.i && sweep.recommendation.point?.j === p.j,
    })),
  );
  const nbetas = [...new Set(runs.flatMap((r) => r.sweep.nbetas))].sort((a, b) => a - b).map(nbetaLabel);
  const several = runs.length > 1;
  // Ticks at the grid's own ε values: a log axis would otherwise draw a line per minor tick.
  const epsilons = [...new Set(runs.flatMap((r) => r.sweep.epsilons))].sort((a, b) => a - b);
  const x = { field: 'epsilon', type: 'quantitative', title: 'step size ε', scale: { type: 'log', padding: 14 }, axis: { values: epsilons, format: '.1e' } } as const;
  const color = { field: 'nbeta', type: 'ordinal', title: 'nβ', scale: { domain: nbetas, scheme: 'viridis' } } as const;
  const dash = several ? { strokeDash: { field: 'run', type: 'nominal', title: 'run' } as const } : {};
  const tooltip = [
    ...(several ? [{ field: 'run', type: 'nominal' as const }] : []),
    { field: 'epsilon', type: 'quantitative', format: '.2e', title: 'ε' },
    { field: 'nbeta', type: 'ordinal', title: 'nβ' },
    { field: 'llc', type: 'quantitative', format: '.4g', title: 'λ̂' },
    { field: 'se', type: 'quantitative', format: '.3g', title: 'standard error of λ̂' },
    { field: 'llc_over_nbeta', type: 'quantitative', format: '.4g', title: 'λ̂/nβ' },
    { field: 'diverged', type: 'nominal', title: 'diverged' },
  ] as const;
  // λ̂/nβ stays linear: dividing by nβ takes the decades that nβ spans back out.
  const llc = llcScale(runs);
  const ys = {
    llc: (title: string) => ({ y: { scale: llc.scale }, axis: { title: llc.scale.type === 'linear' ? title : `${title} (${llc.scale.type})`, ...llc.axis } }),
    llc_over_nbeta: (title: string) => ({ y: {}, axis: { title } }),
  };
  const panel = ({ field, title }: (typeof PANELS)[number]): Layer => {
    const { y: scale, axis } = ys[field](title);
    const y = { field, type: 'quantitative', ...scale } as const;
    return {
      width: (WIDTH - 90) / 2,
      height: HEIGHT,
      layer: [
        {
          params: [zoomX(`zoom_${field}`)],
          mark: { type: 'line', point: { size: 30 } },
          transform: [{ filter: `isValid(datum.${field})` }],
          encoding: { x, y: { ...y, title: axis.title, axis }, color, ...dash, tooltip: [...tooltip] },
        },
        {
          transform: [{ filter: `datum.diverged != 'none' && isValid(datum.${field})` }],
          mark: { type: 'point', shape: 'cross', size: 110, color: COLOR.diverged, filled: true },
          encoding: { x, y, tooltip: [...tooltip] },
        },
        {
          transform: [{ filter: `datum.recommended && isValid(datum.${field})` }],
          mark: { type: 'point', shape: 'circle', size: 320, filled: false, strokeWidth: 2.5, color: COLOR.ink },
          encoding: { x, y, tooltip: [...tooltip] },
        },
        {
          transform: [{ filter: 'datum.all_diverged' }],
          mark: { type: 'point', shape: 'cross', size: 110, color: COLOR.diverged, filled: true },
          encoding: { x, y: { value: 6 }, tooltip: [...tooltip] },
        },
      ],
    };
  };
  return chart({ data: { values }, hconcat: PANELS.map(panel), resolve: { scale: { color: 'shared' } } });
}
