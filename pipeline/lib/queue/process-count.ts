// How many local sampling processes (processes.ts) a stage may start: `pipeline run
// --processes N` sets $PIPELINE_PROCESSES for the stage processes; else one per core, as
// far as the work pays for starting them.
import { availableParallelism } from 'node:os';

export const PROCESSES_ENV = 'PIPELINE_PROCESSES';

/** Starting a sampling process (tsx, onnxruntime, the graph) costs about a second of a
 * core, a few hundred chain-steps of the seed model: by default each process gets at least
 * this many, so a small stage samples in one. */
export const MIN_CHAIN_STEPS_PER_PROCESS = 1000;

/** How many processes sample `chainSteps` in `sessions` sessions: $PIPELINE_PROCESSES (up to
 * one per session), else one per core as far as the work pays for them. */
export function samplingProcesses(chainSteps: number, sessions: number): number {
  const text = process.env[PROCESSES_ENV];
  if (text !== undefined && text !== '') return Math.min(parseProcesses(text, `$${PROCESSES_ENV}`), sessions);
  return Math.max(1, Math.min(availableParallelism(), sessions, Math.floor(chainSteps / MIN_CHAIN_STEPS_PER_PROCESS)));
}

export function parseProcesses(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} ${text}: expected a whole number of processes ≥ 1`);
  return n;
}
