// `pipeline run`: runs the named stages of a run in pipeline order as child processes,
// skipping those whose cached result is fresh.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { readSavedConfig, configPath, writeSavedConfig } from '../../stages/lib/run-dir.ts';
import { STAGES, STAGE_NAMES, isStageName, type StageName } from '../../stages/registry.ts';
import { duration } from '../../stages/report/format.ts';
import { CONFIG_FLAGS_HELP, RUN_FLAGS_HELP, UsageError, configFlags, configSources, parse, runFlags, type Command } from '../command.ts';
import { resolveConfig } from '../config.ts';
import { runStatus, stageStatus, type StageStatus } from '../freshness.ts';
import { artifactsRoot, newRunId, resolveRunId, touchRun } from '../runs.ts';

const TSX = import.meta.resolve('tsx');

export function stageScript(stage: StageName): string {
  return fileURLToPath(new URL(`../../stages/${stage}/main.ts`, import.meta.url));
}

/** Runs one stage script in a child process; resolves to its exit code. */
export async function runStageProcess(stage: StageName, runDir: string): Promise<number> {
  const child = await execa(process.execPath, ['--import', TSX, stageScript(stage), '--run-dir', runDir], { stdio: 'inherit', reject: false });
  return child.exitCode ?? 1;
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

Runs the named stages in pipeline order (${STAGE_NAMES.join(' → ')}).
A stage whose config slice and inputs match its manifest is skipped; a stage whose
upstream stages are not named runs from their cached artifacts.

Options:
${RUN_FLAGS_HELP}
${CONFIG_FLAGS_HELP}
  --force             rerun the named stages even when fresh
  -h, --help          this text

Stages:
${STAGE_NAMES.map((s) => `  ${s.padEnd(10)} ${STAGES[s].summary}`).join('\n')}`,

  async main(argv) {
    const { values, positionals } = parse(argv, { ...runFlags, ...configFlags, force: { type: 'boolean' } }, true);
    const stages = parseStages(positionals);
    const root = artifactsRoot(values.artifacts);
    const runId = values.run ? resolveRunId(root, values.run) : newRunId(root);
    const runDir = join(root, runId);
    const existing = existsSync(configPath(runDir));
    // Validate everything before writing anything.
    const config = resolveConfig(existing ? readSavedConfig(runDir) : {}, configSources(values));
    const before = runStatus(runDir, config);
    for (const stage of stages) {
      for (const dep of STAGES[stage].deps) {
        if (!stages.includes(dep) && before.get(dep)!.state === 'missing') {
          throw new UsageError(`stage ${stage} reads the artifacts of ${dep}, which has not run in run ${runId}; run them together: pipeline run ${dep} ${stage} --run ${runId}`);
        }
      }
    }

    const began = Date.now();
    touchRun(root, runId);
    writeSavedConfig(runDir, config);
    process.stderr.write(`run ${runId} (${runDir})\n`);

    const statuses = new Map<StageName, StageStatus>();
    for (const stage of STAGE_NAMES) {
      let status = stageStatus(runDir, config, stage, statuses);
      if (stages.includes(stage)) {
        if (status.state === 'fresh' && !values.force) {
          process.stderr.write(`${stage}: fresh, skipped (--force reruns it)\n`);
        } else {
          const why = status.state === 'fresh' ? 'forced' : status.reasons.join('; ');
          process.stderr.write(`${stage}: running (${why})\n`);
          const code = await runStageProcess(stage, runDir);
          if (code !== 0) {
            process.stderr.write(`pipeline: stage ${stage} failed (exit code ${code}); run ${runId} stopped there\n`);
            return 1;
          }
          status = stageStatus(runDir, config, stage, statuses);
        }
      } else if (status.state !== 'fresh' && STAGE_NAMES.some((s) => stages.includes(s) && STAGES[s].deps.includes(stage))) {
        process.stderr.write(`note: ${stage} is ${status.state} (${status.reasons.join('; ')}); later stages use its cached artifacts\n`);
      }
      statuses.set(stage, status);
    }
    process.stderr.write(`run ${runId}: done in ${duration((Date.now() - began) / 1000)}\n`);
    return 0;
  },
};
