// `pipeline status`: each stage of a run fresh / stale (and why) / missing / running, and
// who holds the run's lock.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configPath, readSavedConfig } from '../lib/stage/run-dir.ts';
import { activity, lockIsLive, lockPath, readLock } from '../lib/stage/run-lock.ts';
import { CONFIG_FLAGS_HELP, RUN_FLAGS_HELP, configFlags, configSources, parse, runFlags, type Command } from '../command.ts';
import { resolveConfig } from '../config.ts';
import { runStatus } from '../freshness.ts';
import { artifactsRoot, resolveRunId } from '../runs.ts';

export const statusCommand: Command = {
  usage: `pipeline status [--run <id>] [--config <file>] [--set s.key=value…]

Shows each stage of the run as fresh, stale (with the config keys, code files, tool
versions or inputs that changed), missing, or running (how far, and the pid, host and start
of the \`pipeline run\` that holds the run's lock). With --config/--set, shows what a run with
those changes would redo.

Options:
${RUN_FLAGS_HELP.replace('(default for `run`: a new dated id; `latest` names the newest run)', '(default: latest)')}
${CONFIG_FLAGS_HELP}
  --json              print the statuses, and the run's lock if any, as JSON
  -h, --help          this text`,

  async main(argv) {
    const { values } = parse(argv, { ...runFlags, ...configFlags, json: { type: 'boolean' } });
    const root = artifactsRoot(values.artifacts);
    const runId = resolveRunId(root, values.run ?? 'latest');
    const runDir = join(root, runId);
    if (!existsSync(configPath(runDir))) throw new Error(`run ${runId} does not exist under ${root}`);
    const config = resolveConfig(readSavedConfig(runDir), configSources(values));
    const lock = readLock(runDir);
    const live = lock && lockIsLive(lock) ? lock : undefined;
    const statuses = [...runStatus(runDir, config, live).values()];
    if (values.json) {
      process.stdout.write(JSON.stringify({ run: runId, lock: lock && { ...lock, live: Boolean(live) }, stages: statuses }, null, 2) + '\n');
    } else {
      process.stdout.write(`run ${runId}\n`);
      if (live) process.stdout.write(`running: ${live.stage ?? live.command} ${activity(runDir, live)}\n`);
      else if (lock) process.stdout.write(`lock ${lockPath(runDir)} was left by pid ${lock.pid} on ${lock.host} (since ${lock.started_at}), which is gone; the next pipeline run takes it over\n`);
      for (const s of statuses) {
        const when = s.endedAt ? ` (finished ${s.endedAt})` : '';
        process.stdout.write(`  ${s.stage.padEnd(12)} ${s.state}${s.state === 'fresh' ? when : `: ${s.reasons.join('; ')}`}\n`);
      }
    }
    return 0;
  },
};
