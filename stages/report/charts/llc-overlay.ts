// λ̂ over checkpoints overlaid on the train/test MAE or MSE (SPEC.md §6): two y axes, λ̂ on
// the left in its colour, the metric on the right, one shared step axis and one legend; one
// panel per training seed, stacked.
import type { CheckpointEstimate } from '../../../schemas/estimate.ts';
import type { Metrics } from '../../../schemas/training.ts';
import type { WithSe } from '../uncertainty.ts';
import { llcLayers } from './llc-per-checkpoint.ts';
import { COLOR, HEIGHT, WIDTH, chart, hoverPoints, zoomX, type Layer, type Spec } from './spec.ts';
import type { TrainingMetric } from './training.ts';

export interface SeedOverlay {
  seed: number;
  checkpoints: WithSe<CheckpointEstimate>[];
  metrics: Metrics;
}

/** `llc` names λ̂ in the legend, e.g. "λ̂ (mean over 2 chains ± se)". */
export function llcOverlayChart(seeds: SeedOverlay[], llc: string, metric: TrainingMetric): Spec {
  const panels = seeds.map((s) => ({ title: `training seed ${s.seed}`, ...overlayPanel(`seed ${s.seed}`, s.checkpoints, llc, s.metrics, metric, `zoom_${s.seed}`) }));
  return chart(panels.length === 1 ? panels[0]! : { vconcat: panels, resolve: { scale: { color: 'shared' } } });
}

function overlayPanel(run: string, checkpoints: WithSe<CheckpointEstimate>[], llc: string, metrics: Metrics, metric: TrainingMetric, zoom: string): Layer & { width: number; height: number } {
  const name = metric === 'mae' ? 'MAE' : 'MSE';
  const series = [`train ${name}`, `test ${name}`];
  const color = { domain: [llc, ...series], range: [COLOR.llc, COLOR.train, COLOR.test] };
  const values = metrics.rows.flatMap((r) => [
    { step: r.step, series: series[0], value: metric === 'mae' ? r.train_mae : r.train_mse },
    { step: r.step, series: series[1], value: metric === 'mae' ? r.test_mae : r.test_mse },
  ]);
  return {
    width: WIDTH,
    height: HEIGHT,
    layer: [
      { layer: llcLayers([{ run, checkpoints }], { label: llc, color, axis: { titleColor: COLOR.llc, title: 'λ̂ (local learning coefficient)' }, zoom: zoomX(zoom) }) },
      {
        data: { values },
        mark: { type: 'line', strokeDash: [5, 3], strokeWidth: 1.4, opacity: 0.85, point: hoverPoints(metrics.rows.length) },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'training step' },
          y: { field: 'value', type: 'quantitative', title: `${name} (train, test)`, axis: { orient: 'right', grid: false } },
          color: { field: 'series', type: 'nominal', title: null, scale: color },
          tooltip: [{ field: 'step', type: 'quantitative', format: ',' }, { field: 'series', type: 'nominal' }, { field: 'value', type: 'quantitative', format: '.4g' }],
        },
      },
    ],
    resolve: { scale: { y: 'independent' } },
  };
}
