// Health warnings on the terminal: one line each, so a run's problems can be grepped — but
// at most MAX_LINES of them, then a count, since a run of 100 checkpoints or a sweep grid
// can warn at every estimate (all of them are in health.json and the report). Each warning
// names its own fix (estimate-health.ts, knobs.ts).
import type { EstimateHealth } from '../../../schemas/health.ts';

export const MAX_LINES = 12;

/** Writes the warnings of `estimates` to stderr; `prefix` names the stage, e.g. "estimate: ". */
export function printHealthWarnings(estimates: readonly EstimateHealth[], prefix = '', maxLines = MAX_LINES): void {
  const all = estimates.flatMap((e) => e.warnings);
  for (const w of all.slice(0, maxLines)) process.stderr.write(`${prefix}warning: ${w}\n`);
  const rest = all.length - maxLines;
  if (rest > 0) {
    const affected = estimates.filter((e) => e.warnings.length > 0).length;
    process.stderr.write(`${prefix}… and ${rest} more warnings (${affected} of ${estimates.length} estimates have some); all are in health.json and the report\n`);
  }
}
