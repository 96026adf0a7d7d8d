// The entry of every stage script: its command line, the run's lock (unless the `pipeline
// run` that started it holds it), the run's saved config, then the body in a context
// (context.ts) writing into <stage>.partial/ (partial.ts), and on success the manifest
// (manifest.ts) and the swap into place.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigSchema, type Config } from '../../../schemas/config.ts';
import { reportProgressTo } from '../util/progress.ts';
import { codeFingerprint } from './code-fingerprint.ts';
import { StageContext } from './context.ts';
import { writeManifest } from './manifest.ts';
import { commitPartial, openPartial } from './partial.ts';
import { STAGES, stageScript, type StageName } from './registry.ts';
import { configPath, readSavedConfig, writeSavedConfig } from './run-dir.ts';
import { acquireRunLock, liveLock, writeProgress } from './run-lock.ts';

export interface StageOptions {
  /** Keep <stage>.partial/ from an interrupted attempt so the stage can resume from it. */
  resumable?: boolean;
}

/** The command line every stage script takes when run by itself. */
function stageArgs(stage: StageName): { runDir: string } {
  const { values } = parseArgs({ options: { 'run-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || !values['run-dir']) {
    (values.help ? process.stdout : process.stderr).write(`usage: tsx stages/${stage}/main.ts --run-dir artifacts/<run>\n  ${STAGES[stage].summary}.\n  Reads the run's config.json (the defaults if there is none) and the upstream stages' artifacts.\n`);
    process.exit(values.help ? 0 : 2);
  }
  return { runDir: values['run-dir'] };
}

/** Takes the run's lock unless the `pipeline run` that started this process holds it. */
function lockUnlessParentHolds(runDir: string, stage: StageName): void {
  if (liveLock(runDir)?.pid === process.ppid) return;
  acquireRunLock(runDir, `stage ${stage} run by itself`, (m) => process.stderr.write(`${stage}: ${m}\n`), stage);
}

/** The run's saved config, or the defaults (then saved) where it has none. */
function runConfig(runDir: string): Config {
  if (existsSync(configPath(runDir))) return readSavedConfig(runDir);
  const config = ConfigSchema.parse({});
  writeSavedConfig(runDir, config);
  return config;
}

/** Runs a stage body with a context and writes its manifest when the body succeeds. */
export async function runStage<S extends StageName>(stage: S, body: (ctx: StageContext<S>) => Promise<void>, options: StageOptions = {}): Promise<void> {
  const { runDir } = stageArgs(stage);
  try {
    lockUnlessParentHolds(runDir, stage);
    reportProgressTo((done, total) => writeProgress(runDir, { stage, done, total }));
    // The code as loaded: every module this script imports has been read by now.
    const code = codeFingerprint(stageScript(stage));
    const config = runConfig(runDir);
    const work = openPartial(runDir, stage, options.resumable ?? false);
    const ctx = new StageContext(stage, runDir, config, work);
    const started = new Date();
    await body(ctx);
    writeManifest(ctx, work, code, started, new Date());
    commitPartial(runDir, stage, work);
  } catch (e) {
    process.stderr.write(`${stage}: error: ${(e as Error).message}\n`);
    if (process.env.PIPELINE_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  }
}
