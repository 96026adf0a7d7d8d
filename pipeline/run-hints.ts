// What `pipeline run` tells a user about the run it works in: the newest run, when stages
// were named without --run (a new run would rebuild everything they read), and at the end
// where the report is.
import { join } from 'node:path';
import { stageDir } from './lib/stage/run-dir.ts';
import type { StageStatus } from './freshness.ts';
import type { StageName } from './lib/stage/registry.ts';
import { listRuns } from './runs.ts';

/** "--run latest (<id>)" advice, or '' when there is no run yet. */
export function latestHint(root: string): string {
  const last = listRuns(root).at(-1);
  return last ? `name a run that has it: --run latest (${last.id}), or --run <id>` : '';
}

/** Stages named without --run, not starting at generate, and runs exist: says what --run latest would do instead. */
export function offerLatest(root: string, runId: string, named: StageName[], note: (m: string) => void): void {
  const last = listRuns(root).at(-1);
  if (!last || named.includes('generate')) return;
  note(`no --run given: ${named.join(', ')} will run in a new run ${runId}, which first builds every stage ${named.length === 1 ? 'it reads' : 'they read'}; to work in the newest run (${last.id}) add --run latest, or --from latest to branch it`);
}

/** Where the run's report is, or how to make it or bring it up to date. */
export function reportLine(runDir: string, runId: string, report: StageStatus | undefined): string {
  const path = join(stageDir(runDir, 'report'), 'report.html');
  if (report?.state === 'fresh') return `report: ${path}`;
  if (report?.state === 'stale') return `report ${path} is stale (${report.reasons.join('; ')}): pipeline run report --run ${runId} updates it`;
  return `no report yet (pipeline run report --run ${runId} makes it)`;
}
