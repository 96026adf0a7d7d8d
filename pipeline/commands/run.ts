// `pipeline run`: brings the named stages up to date, as `dvc repro`, make or snakemake do:
// every missing or stale stage they need upstream runs first, in pipeline order, each as a
// child process, saying which and why; fresh stages are skipped. With --single only the
// named stages run, on upstream artifacts that must be fresh. The run's lock keeps any
// other `pipeline run` out of the run meanwhile.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { readSavedConfig, configPath, writeSavedConfig } from '../lib/stage/run-dir.ts';
import { acquireRunLock } from '../lib/stage/run-lock.ts';
import { STAGES, STAGE_NAMES, depsOf, isStageName, stageScript, type StageName } from '../lib/stage/registry.ts';
import type { Config } from '../../schemas/config.ts';
import { duration } from '../../stages/report/format.ts';
import { CONFIG_FLAGS_HELP, RUN_FLAGS_HELP, UsageError, configFlags, configSources, parse, runFlags, type Command } from '../command.ts';
import { resolveConfig } from '../config.ts';
import { runStatus, stageStatus, type StageStatus } from '../freshness.ts';
import { artifactsRoot, newRunId, resolveRunId, touchRun } from '../runs.ts';
import { forkRun, forkSource } from '../fork.ts';
import { parseQueueUrl, QUEUE_ENV } from '../lib/queue/connection.ts';
import { parseProcesses, PROCESSES_ENV } from '../lib/queue/process-count.ts';
import { latestHint, offerLatest, reportLine } from '../run-hints.ts';

const TSX = import.meta.resolve('tsx');

/** Runs one stage script in a child process, telling `started` its pid; resolves to its exit code. */
async function runStageProcess(stage: StageName, runDir: string, started: (pid: number) => void): Promise<number> {
  const child = execa(process.execPath, ['--import', TSX, stageScript(stage), '--run-dir', runDir], { stdio: 'inherit', reject: false });
  if (child.pid !== undefined) started(child.pid);
  return (await child).exitCode ?? 1;
}

/** The named stages and every stage they read from, directly or not, each mapped to the named stage that needs it (a named one to itself). */
function withUpstream(named: StageName[], config: Config): Map<StageName, StageName> {
  const need = new Map<StageName, StageName>(named.map((s) => [s, s]));
  for (const s of [...STAGE_NAMES].reverse()) {
    const by = need.get(s);
    if (by) for (const dep of depsOf(s, config)) if (!need.has(dep)) need.set(dep, by);
  }
  return need;
}

/** --single: every stage the named ones read from, and do not run themselves, must be fresh. */
function requireFreshUpstream(runDir: string, runId: string, named: StageName[], statuses: Map<StageName, StageStatus>, hint: string, config: Config): void {
  for (const stage of named) {
    for (const dep of depsOf(stage, config).filter((d) => !named.includes(d))) {
      const s = statuses.get(dep)!;
      if (s.state !== 'fresh') {
        throw new UsageError(`--single: stage ${stage} reads the artifacts of ${dep}, which is ${s.state} in ${hint ? 'new ' : ''}run ${runId} (${s.reasons.join('; ')}); ${hint || `without --single, pipeline run ${stage} builds ${dep} first`}`);
      }
    }
  }
}

function parseStages(names: string[]): StageName[] {
  if (names.length === 0) throw new UsageError(`name the stages to run, or all (stages: ${STAGE_NAMES.join(', ')})`);
  const wanted = new Set<StageName>();
  for (const n of names) {
    if (n === 'all') STAGE_NAMES.forEach((s) => wanted.add(s));
    else if (isStageName(n)) wanted.add(n);
    else throw new UsageError(`unknown stage "${n}" (stages: ${STAGE_NAMES.join(', ')}, or all)`);
  }
  return STAGE_NAMES.filter((s) => wanted.has(s));
}

export const runCommand: Command = {
  usage: `pipeline run all | <stage> [<stage>…] [options]

Brings the named stages up to date, in pipeline order (${STAGE_NAMES.join(' → ')}).
Every stage they read from, directly or not, that is missing or stale runs first, with a
line saying which stage needs it and why. A stage is fresh, and skipped, when its config
slice, its code (the source files it runs, the lockfile, Node and package versions), its
inputs and its outputs all match its manifest.
Only one \`pipeline run\` works in a run at a time: a second exits with an error naming the
first (pid, host, start); a lock left by a process that is gone is taken over with a notice.
It ends by printing where the run's report.html is.

The run's config is made in this order, each over the one before: the defaults, --preset,
the run's saved config.json (with --from: the source run's) where it differs from the
defaults, --config, then each --set. A preset never undoes a value set earlier in the run;
it says which it left in place.

Options:
${RUN_FLAGS_HELP}
${CONFIG_FLAGS_HELP}
  --from <run>        fork: a new run (--run, or a dated id) that starts with every finished
                      stage of <run>, hard-linked, and its config plus this command's; only
                      stages the changes make stale rerun, and <run> is never modified.
                      Compare the two with pipeline diff <run> <new run>
  --force             rerun the named stages even when fresh (not the upstream ones)
  --single            run only the named stages; refuse, naming it, when a stage they read
                      from is not fresh (as dvc repro --single-item)
  --queue <url>       redis://HOST:PORT[/db] (default: $PIPELINE_QUEUE): train hands its seeds,
                      estimate, sweep and calibration their chains, to \`pipeline worker\`
                      processes through this Redis queue, and each writes the same artifacts
                      once every shard is in
  --processes <n>     estimate, sweep and calibration sample on the CPU in up to n processes
                      (default: $PIPELINE_PROCESSES, else one per core as far as each gets
                      1 000 chain-steps); the artifacts are the same bits for every n
  -h, --help          this text

Stages:
${STAGE_NAMES.map((s) => `  ${s.padEnd(10)} ${STAGES[s].summary}`).join('\n')}`,

  async main(argv) {
    const { values, positionals } = parse(argv, { ...runFlags, ...configFlags, from: { type: 'string' }, queue: { type: 'string' }, processes: { type: 'string' }, force: { type: 'boolean' }, single: { type: 'boolean' } }, true);
    const named = parseStages(positionals);
    const root = artifactsRoot(values.artifacts);
    const from = values.from === undefined ? undefined : resolveRunId(root, values.from);
    const runId = values.run ? resolveRunId(root, values.run) : newRunId(root);
    const runDir = join(root, runId);
    const existing = existsSync(configPath(runDir));
    const base = from ? forkSource(root, from) : runDir;
    // Validate everything before writing anything.
    // The stage processes read the queue from the environment (pipeline/lib/queue).
    if (values.queue !== undefined) {
      parseQueueUrl(values.queue); // throws naming a bad URL
      process.env[QUEUE_ENV] = values.queue;
    }
    if (values.processes !== undefined) {
      parseProcesses(values.processes, '--processes'); // throws naming a bad count
      process.env[PROCESSES_ENV] = values.processes;
    }
    const note = (m: string) => process.stderr.write(`pipeline: ${m}\n`);
    const config = resolveConfig(from || existing ? readSavedConfig(base) : {}, configSources(values), note);
    if (values.single) requireFreshUpstream(from ? base : runDir, runId, named, runStatus(from ? base : runDir, config), values.run === undefined && !from ? latestHint(root) : '', config);
    if (!values.run && !from) offerLatest(root, runId, named, note);
    if (from) {
      const fork = forkRun(root, from, runId, config);
      note(`run ${runId} forked from ${from}: starts with ${fork.shared.join(', ') || 'no finished stage'} (${fork.copied ? `${fork.copied} files copied where a hard link was refused` : 'hard links'})`);
    }
    const plan = values.single ? new Map(named.map((s) => [s, s])) : withUpstream(named, config);

    const lock = acquireRunLock(runDir, `pipeline run ${positionals.join(' ')}`, (m) => process.stderr.write(`pipeline: ${m}\n`));
    try {
      const began = Date.now();
      touchRun(root, runId);
      writeSavedConfig(runDir, config);
      process.stderr.write(`run ${runId} (${runDir})\n`);

      const statuses = new Map<StageName, StageStatus>();
      for (const stage of STAGE_NAMES) {
        let status = stageStatus(runDir, config, stage, statuses);
        const by = plan.get(stage);
        if (by && status.state === 'fresh' && !(values.force && by === stage)) {
          process.stderr.write(`${stage}: fresh, skipped${by === stage ? ' (--force reruns it)' : ''}\n`);
        } else if (by) {
          const why = status.state === 'fresh' ? 'forced' : status.reasons.join('; ');
          process.stderr.write(`${stage}: running (${by === stage ? '' : `needed by ${by}: `}${why})\n`);
          const code = await runStageProcess(stage, runDir, (pid) => lock.update(stage, pid));
          if (code !== 0) {
            process.stderr.write(`pipeline: stage ${stage} failed (exit code ${code}); run ${runId} stopped there\n`);
            return 1;
          }
          status = stageStatus(runDir, config, stage, statuses);
        }
        statuses.set(stage, status);
      }
      process.stderr.write(`run ${runId}: done in ${duration((Date.now() - began) / 1000)}; ${reportLine(runDir, runId, statuses.get('report'))}\n`);
      return 0;
    } finally {
      lock.release();
    }
  },
};
