// Train and test MAE, or the losses, over training steps (SPEC.md §6); one run, or several
// overlaid (pipeline diff), told apart by dash pattern.
import type { Metrics } from '../../../schemas/training.ts';
import { COLOR, HEIGHT, WIDTH, chart, hoverPoints, referenceLine, zoomX, type Spec, type Unit } from './spec.ts';

export type TrainingMetric = 'mae' | 'loss';

export interface RunMetrics {
  run: string;
  metrics: Metrics;
}

const SERIES = {
  mae: [
    { label: 'train MAE', key: 'train_mae', color: COLOR.train },
    { label: 'test MAE', key: 'test_mae', color: COLOR.test },
  ],
  loss: [
    { label: 'train MSE', key: 'train_mse', color: COLOR.train },
    { label: 'test MSE', key: 'test_mse', color: COLOR.test },
    { label: 'minibatch loss (dropout on)', key: 'batch_loss', color: COLOR.batch },
  ],
} as const;

export function trainingChart(runs: RunMetrics[], metric: TrainingMetric, reference?: { value: number; label: string }): Spec {
  const series = SERIES[metric];
  const values = runs.flatMap(({ run, metrics }) => metrics.rows.flatMap((r) => series.map((s) => ({ run, step: r.step, series: s.label, value: r[s.key] }))));
  const lines: Unit = {
    data: { values },
    params: [zoomX()],
    mark: { type: 'line', point: hoverPoints(Math.max(...runs.map((r) => r.metrics.rows.length))) },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'training step' },
      y: { field: 'value', type: 'quantitative', title: metric === 'mae' ? 'mean absolute error' : 'mean squared error' },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: series.map((s) => s.label), range: series.map((s) => s.color) } },
      ...(runs.length > 1 ? { strokeDash: { field: 'run', type: 'nominal', title: 'run', scale: { domain: runs.map((r) => r.run) } } } : {}),
      tooltip: [
        ...(runs.length > 1 ? [{ field: 'run', type: 'nominal' as const }] : []),
        { field: 'step', type: 'quantitative', format: ',' },
        { field: 'series', type: 'nominal' },
        { field: 'value', type: 'quantitative', format: '.4g' },
      ],
    },
  };
  return chart({ width: WIDTH, height: HEIGHT, layer: [lines, ...(reference ? [referenceLine(reference.value, reference.label)] : [])] });
}
