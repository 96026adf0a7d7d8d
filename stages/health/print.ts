// Health warnings on the terminal: one line each, so a long run's problems can be grepped.
import type { EstimateHealth } from '../../schemas/health.ts';

/** Writes every warning of `estimates` to stderr; `prefix` names the stage, e.g. "estimate: ". */
export function printHealthWarnings(estimates: readonly EstimateHealth[], prefix = ''): void {
  for (const e of estimates) for (const w of e.warnings) process.stderr.write(`${prefix}warning: ${w}\n`);
}
