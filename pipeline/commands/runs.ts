// `pipeline runs`: the runs with their dates and the state of their stages.
import { join } from 'node:path';
import { readSavedConfig } from '../../stages/lib/run-dir.ts';
import { parse, type Command } from '../command.ts';
import { runStatus } from '../freshness.ts';
import { artifactsRoot, listRuns } from '../runs.ts';

export const runsCommand: Command = {
  usage: `pipeline runs [--artifacts <dir>] [--json]

Lists every run under the artifacts root, oldest first, with its dates and stages.`,

  async main(argv) {
    const { values } = parse(argv, { artifacts: { type: 'string' }, json: { type: 'boolean' } });
    const root = artifactsRoot(values.artifacts);
    const rows = listRuns(root).map((r) => {
      let stages: Record<string, string>;
      try {
        const statuses = runStatus(join(root, r.id), readSavedConfig(join(root, r.id)));
        stages = Object.fromEntries([...statuses.values()].map((s) => [s.stage, s.state]));
      } catch (e) {
        stages = { error: (e as Error).message };
      }
      return { ...r, stages };
    });
    if (values.json) {
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      return 0;
    }
    if (rows.length === 0) process.stdout.write(`no runs under ${root}\n`);
    for (const r of rows) {
      const states = Object.entries(r.stages).map(([s, st]) => `${s}:${st}`).join(' ');
      process.stdout.write(`${r.id.padEnd(24)} created ${r.created_at}  updated ${r.updated_at}  ${states}\n`);
    }
    return 0;
  },
};
