// Every chain of the estimate stage, per draw: its llc nβ·(L − L₀) (top) and its SGLD
// minibatch loss (bottom), one colour per chain, for one checkpoint at a time — the live
// view has a selector for the checkpoint (seed and step); the static image shows the last one. Chains
// that diverged stop where their values turn non-finite.
import type { ChainTraces } from '../run-data.ts';
import { WIDTH, blockMeans, blockOf, chart, zoomX, type Spec, type Unit } from './spec.ts';

const CHAIN_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d'];

const nameOf = (t: ChainTraces) => `seed ${t.seed}, step ${t.step}`;

export function chainTracesChart(traces: ChainTraces[]): Spec {
  const chains = traces[0]?.chains ?? 0;
  const draws = traces[0]?.draws ?? 0;
  const block = blockOf(draws);
  const values = traces.flatMap((t) =>
    Array.from({ length: t.chains }, (_, c) => {
      const row = (x: Float32Array) => blockMeans(x.subarray(c * t.draws, (c + 1) * t.draws), block);
      const loss = row(t.loss);
      return row(t.llc).map(({ draw, value }, b) => ({ checkpoint: nameOf(t), chain: `chain ${c}`, draw, llc: value, loss: loss[b]!.value }));
    }).flat(),
  );
  const checkpoints = traces.map(nameOf);
  const names = Array.from({ length: chains }, (_, c) => `chain ${c}`);
  const color = { field: 'chain', type: 'nominal', title: null, scale: { domain: names, range: names.map((_, c) => CHAIN_COLORS[c % CHAIN_COLORS.length]!) } } as const;
  const x = { field: 'draw', type: 'quantitative', title: 'draw', scale: { nice: false } } as const;
  const panel = (field: 'llc' | 'loss', title: string, zoom: string): Unit & { width: number; height: number } => ({
    width: WIDTH,
    height: 160,
    params: [zoomX(zoom)],
    transform: [{ filter: `datum.checkpoint == checkpoint && isValid(datum.${field})` }],
    mark: { type: 'line', strokeWidth: 1.3, point: { size: 14 } },
    encoding: {
      x,
      y: { field, type: 'quantitative', title, scale: { zero: false } },
      color,
      tooltip: [{ field: 'checkpoint', type: 'nominal' }, { field: 'chain', type: 'nominal' }, { field: 'draw', type: 'quantitative' }, { field, type: 'quantitative', format: '.4g', title }],
    },
  });
  return chart({
    data: { values },
    params: [{ name: 'checkpoint', value: checkpoints.at(-1) ?? '', bind: { input: 'select', options: checkpoints, name: 'checkpoint ' } }],
    vconcat: [panel('llc', 'llc per draw, nβ·(L − L₀)', 'zoom_llc'), panel('loss', 'SGLD minibatch loss L', 'zoom_loss')],
  });
}
