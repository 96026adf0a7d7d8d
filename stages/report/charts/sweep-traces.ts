// Each sweep point's λ̂ trace — devinterp's calibration plot, the one researchers choose ε
// and nβ from: per draw, the llc nβ·(L − L₀) averaged over the chains that did not diverge,
// one panel per nβ (each with its own y axis, since λ̂ grows with nβ), one line per ε. A
// good ε levels off within the draws and does not run away; the recommended point's line
// has a thick grey halo.
import type { Sweep } from '../../../schemas/sweep.ts';
import { num } from '../format.ts';
import { COLOR, WIDTH, blockMeans, blockOf, chart, type Spec } from './spec.ts';

const COLUMNS = 3;

export function sweepTracesChart(sweep: Sweep, traces: Float32Array[]): Spec {
  const block = blockOf(sweep.num_draws);
  const rec = sweep.recommendation.point;
  const values = sweep.points.flatMap((p, k) => {
    const recommended = rec !== null && p.i === rec.i && p.j === rec.j;
    return blockMeans(traces[k]!, block).flatMap(({ draw, value }) => (value === null ? [] : [{ nbeta: `nβ = ${num(p.nbeta)}`, epsilon: num(p.epsilon), draw, llc: value, recommended }]));
  });
  const panels = sweep.nbetas.map((n) => `nβ = ${num(n)}`);
  const x = { field: 'draw', type: 'quantitative', title: 'draw', scale: { nice: false } } as const;
  const y = { field: 'llc', type: 'quantitative', title: 'λ̂ per draw (mean over chains)', scale: { zero: false } } as const;
  const tooltip = [
    { field: 'nbeta', type: 'nominal', title: 'nβ' },
    { field: 'epsilon', type: 'ordinal', title: 'ε' },
    { field: 'draw', type: 'quantitative' },
    { field: 'llc', type: 'quantitative', format: '.4g', title: 'λ̂ at this draw' },
  ] as const;
  const columns = Math.min(COLUMNS, panels.length);
  return chart({
    data: { values },
    facet: { field: 'nbeta', type: 'ordinal', title: null, sort: panels, header: { labelFontSize: 12, labelFontWeight: 600 } },
    columns,
    spec: {
      width: Math.floor((WIDTH - 70 * columns) / columns),
      height: 150,
      layer: [
        { transform: [{ filter: 'datum.recommended' }], mark: { type: 'line', color: COLOR.ink, strokeWidth: 4, opacity: 0.55 }, encoding: { x, y } },
        {
          mark: { type: 'line', strokeWidth: 1.4 },
          encoding: { x, y, color: { field: 'epsilon', type: 'ordinal', title: 'step size ε', scale: { domain: sweep.epsilons.map((e) => num(e)), scheme: 'plasma' } }, tooltip: [...tooltip] },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  });
}
