// A sample of the data with its targets (SPEC.md §6): one row per sequence, one cell per
// position showing the letter, shaded by the target there — the fraction of x so far.
import type { SampleRow } from '../run-data.ts';
import { chart, type Spec } from './spec.ts';

const CELL = 46;

export function dataSampleChart(sequences: SampleRow[]): Spec {
  const values = sequences.flatMap((s, i) =>
    [...s.letters].map((letter, pos) => ({ sequence: `${s.split} #${i + 1}`, pos, letter, target: s.targets[pos]!, label: s.targets[pos]!.toFixed(2) })),
  );
  const seqLen = Math.max(...sequences.map((s) => s.letters.length));
  const x = { field: 'pos', type: 'ordinal', title: 'position', axis: { labelAngle: 0, orient: 'top' } } as const;
  const y = { field: 'sequence', type: 'nominal', title: null, sort: null } as const;
  const light = { test: 'datum.target < 0.55' };
  return chart({
    width: CELL * seqLen,
    height: CELL * sequences.length,
    data: { values },
    encoding: { x, y },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
        encoding: {
          color: { field: 'target', type: 'quantitative', title: 'target (fraction of x so far)', scale: { domain: [0, 1], scheme: 'purples' }, legend: { orient: 'right', direction: 'vertical', gradientLength: Math.min(CELL * sequences.length - 10, 320) } },
          tooltip: [{ field: 'sequence', type: 'nominal' }, { field: 'pos', type: 'ordinal', title: 'position' }, { field: 'letter', type: 'nominal' }, { field: 'target', type: 'quantitative', format: '.4f' }],
        },
      },
      {
        mark: { type: 'text', fontSize: 17, fontWeight: 600, dy: -6 },
        encoding: { text: { field: 'letter' }, color: { condition: { ...light, value: '#222' }, value: 'white' } },
      },
      {
        mark: { type: 'text', fontSize: 10, dy: 12 },
        encoding: { text: { field: 'label' }, color: { condition: { ...light, value: '#555' }, value: '#eee' } },
      },
    ],
  });
}
