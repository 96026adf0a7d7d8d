// λ̂ per checkpoint: the mean over chains as a line with points and a ± standard error band
// (uncertainty.ts) where there is one. Shared by the overlay charts of the report and the
// runs compared in `pipeline diff` (one colour per run there).
import type { CheckpointEstimate } from '../../../schemas/estimate.ts';
import type { WithSe } from '../uncertainty.ts';
import { COLOR, HEIGHT, WIDTH, chart, zoomX, type Spec, type Unit } from './spec.ts';

export interface RunEstimates {
  run: string;
  checkpoints: WithSe<CheckpointEstimate>[];
}

interface Style {
  /** The legend label of λ̂ (one run), or undefined to colour by run. */
  label?: string;
  color: { domain: string[]; range: string[] };
  axis: { title: string; titleColor?: string };
  zoom: ReturnType<typeof zoomX>;
}

export function llcLayers(runs: RunEstimates[], style: Style): Unit[] {
  const values = runs.flatMap(({ run, checkpoints }) =>
    checkpoints.map((c) => ({
      run,
      series: style.label ?? run,
      step: c.step,
      llc: c.llc_mean,
      se: c.llc_se,
      std: c.llc_std,
      lo: c.llc_mean !== null && c.llc_se !== null ? c.llc_mean - c.llc_se : null,
      hi: c.llc_mean !== null && c.llc_se !== null ? c.llc_mean + c.llc_se : null,
      chains: c.llc_per_chain.length,
      diverged: c.diverged.length,
    })),
  );
  const x = { field: 'step', type: 'quantitative', title: 'training step' } as const;
  const color = { field: 'series', type: 'nominal', title: null, scale: style.color } as const;
  const layers: Unit[] = [
    {
      data: { values },
      params: [style.zoom],
      mark: { type: 'line', point: { size: 30 } },
      encoding: {
        x,
        y: { field: 'llc', type: 'quantitative', title: style.axis.title, axis: style.axis.titleColor ? { titleColor: style.axis.titleColor } : {} },
        color,
        tooltip: [
          ...(style.label ? [] : [{ field: 'run', type: 'nominal' as const }]),
          { field: 'step', type: 'quantitative', format: ',', title: 'checkpoint step' },
          { field: 'llc', type: 'quantitative', format: '.4g', title: 'λ̂' },
          { field: 'se', type: 'quantitative', format: '.3g', title: 'standard error' },
          { field: 'std', type: 'quantitative', format: '.3g', title: 'std over chains' },
          { field: 'chains', type: 'quantitative' },
          { field: 'diverged', type: 'quantitative', title: 'diverged chains' },
        ],
      },
    },
  ];
  if (values.some((v) => v.lo !== null)) {
    layers.unshift({
      data: { values: values.filter((v) => v.lo !== null) },
      mark: { type: 'area', opacity: 0.18 },
      encoding: { x, y: { field: 'lo', type: 'quantitative', title: style.axis.title }, y2: { field: 'hi' }, color },
    });
  }
  return layers;
}

/** λ̂ per checkpoint of several runs, one colour each. */
export function llcRunsChart(runs: RunEstimates[]): Spec {
  const palette = [COLOR.llc, '#2ca02c', COLOR.train, COLOR.test];
  const color = { domain: runs.map((r) => r.run), range: runs.map((_, i) => palette[i % palette.length]!) };
  return chart({ width: WIDTH, height: HEIGHT, layer: llcLayers(runs, { color, axis: { title: 'λ̂ (mean over chains ± se)' }, zoom: zoomX() }) });
}
