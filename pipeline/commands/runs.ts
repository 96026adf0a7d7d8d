// `pipeline runs`: the runs with their dates, the state of their stages, and what runs now.
import { join } from 'node:path';
import { readSavedConfig } from '../lib/stage/run-dir.ts';
import { activity, liveLock } from '../lib/stage/run-lock.ts';
import { parse, type Command } from '../command.ts';
import { runStatus } from '../freshness.ts';
import { artifactsRoot, listRuns } from '../runs.ts';

export const runsCommand: Command = {
  usage: `pipeline runs [--artifacts <dir>] [--json]

Lists every run under the artifacts root, oldest first, with its dates, the state of each
stage (fresh, stale, missing, running) and, for a run that a \`pipeline run\` works in now,
what it runs, how far it has got, and its pid, host and start.`,

  async main(argv) {
    const { values } = parse(argv, { artifacts: { type: 'string' }, json: { type: 'boolean' } });
    const root = artifactsRoot(values.artifacts);
    const rows = listRuns(root).map((r) => {
      const runDir = join(root, r.id);
      const lock = liveLock(runDir);
      const running = lock && `${lock.stage ?? lock.command} ${activity(runDir, lock)}`;
      let stages: Record<string, string>;
      try {
        const statuses = runStatus(runDir, readSavedConfig(runDir), lock);
        stages = Object.fromEntries([...statuses.values()].map((s) => [s.stage, s.state]));
      } catch (e) {
        stages = { error: (e as Error).message };
      }
      return { ...r, stages, ...(running ? { running } : {}) };
    });
    if (values.json) {
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      return 0;
    }
    if (rows.length === 0) process.stdout.write(`no runs under ${root}\n`);
    for (const r of rows) {
      const states = Object.entries(r.stages).map(([s, st]) => `${s}:${st}`).join(' ');
      process.stdout.write(`${r.id.padEnd(24)} created ${r.created_at}  updated ${r.updated_at}  ${states}${r.running ? `  running: ${r.running}` : ''}\n`);
    }
    return 0;
  },
};
