import type { MetricsRow } from '../../schemas/training.ts';

const COLUMNS: (keyof MetricsRow)[] = ['step', 'batch_loss', 'train_mse', 'train_mae', 'test_mse', 'test_mae', 'elapsed_s'];

/** metrics.csv: the same rows as metrics.json, for spreadsheets and pandas. */
export function metricsCsv(rows: readonly MetricsRow[]): string {
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((k) => r[k]).join(','))].join('\n') + '\n';
}
