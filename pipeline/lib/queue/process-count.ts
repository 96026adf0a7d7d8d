// How many local sampling processes (processes.ts) a stage may start: `pipeline run
// --processes N` sets $PIPELINE_PROCESSES for the stage processes; else one per core.
import { availableParallelism } from 'node:os';

export const PROCESSES_ENV = 'PIPELINE_PROCESSES';

export function samplingProcesses(): number {
  const text = process.env[PROCESSES_ENV];
  if (text === undefined || text === '') return availableParallelism();
  return parseProcesses(text, `$${PROCESSES_ENV}`);
}

export function parseProcesses(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} ${text}: expected a whole number of processes ≥ 1`);
  return n;
}
