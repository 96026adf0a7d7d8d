// The calibration sweep (SPEC.md §5): final λ̂ and λ̂/nβ against the step size ε (log
// scale), one line per nβ. A grid point whose chains diverged is a red cross at its value,
// or at the top edge when no chain was left to give one. Several runs (pipeline diff) are
// told apart by dash pattern.
import type { Sweep } from '../../../schemas/sweep.ts';
import { num } from '../format.ts';
import { COLOR, HEIGHT, WIDTH, chart, zoomX, type Layer, type Spec } from './spec.ts';

export interface RunSweep {
  run: string;
  sweep: Sweep;
}

const PANELS = [
  { field: 'llc', title: 'final λ̂' },
  { field: 'llc_over_nbeta', title: 'λ̂ / nβ' },
] as const;

const nbetaLabel = (nbeta: number) => num(nbeta, 3);

export function sweepChart(runs: RunSweep[]): Spec {
  const values = runs.flatMap(({ run, sweep }) =>
    sweep.points.map((p) => ({
      run,
      epsilon: p.epsilon,
      nbeta: nbetaLabel(p.nbeta),
      llc: p.llc_final,
      llc_over_nbeta: p.llc_over_nbeta,
      std_over_mean: p.std_over_mean,
      diverged: p.diverged.length === 0 ? 'none' : `${p.diverged.length} of ${sweep.num_chains} chains`,
      all_diverged: p.llc_final === null,
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
    { field: 'llc', type: 'quantitative', format: '.4g', title: 'final λ̂' },
    { field: 'llc_over_nbeta', type: 'quantitative', format: '.4g', title: 'λ̂/nβ' },
    { field: 'std_over_mean', type: 'quantitative', format: '.3g', title: 'std/mean' },
    { field: 'diverged', type: 'nominal', title: 'diverged' },
  ] as const;
  const panel = ({ field, title }: (typeof PANELS)[number]): Layer => ({
    width: (WIDTH - 90) / 2,
    height: HEIGHT,
    layer: [
      {
        params: [zoomX(`zoom_${field}`)],
        mark: { type: 'line', point: { size: 30 } },
        transform: [{ filter: `isValid(datum.${field})` }],
        encoding: { x, y: { field, type: 'quantitative', title }, color, ...dash, tooltip: [...tooltip] },
      },
      {
        transform: [{ filter: `datum.diverged != 'none' && isValid(datum.${field})` }],
        mark: { type: 'point', shape: 'cross', size: 110, color: COLOR.diverged, filled: true },
        encoding: { x, y: { field, type: 'quantitative' }, tooltip: [...tooltip] },
      },
      {
        transform: [{ filter: 'datum.all_diverged' }],
        mark: { type: 'point', shape: 'cross', size: 110, color: COLOR.diverged, filled: true },
        encoding: { x, y: { value: 6 }, tooltip: [...tooltip] },
      },
    ],
  });
  return chart({ data: { values }, hconcat: PANELS.map(panel), resolve: { scale: { color: 'shared' } } });
}
