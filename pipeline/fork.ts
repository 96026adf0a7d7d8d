// `pipeline run --from <run>`: a new run that starts with every finished stage of another —
// each stage folder's files hard-linked (copied where the file system refuses a link), its
// manifest among them — and its own config, so freshness reruns only the stages the new
// config (or code) changes. Sharing inodes is safe because nothing writes into a finished
// stage folder: a stage that reruns builds <stage>.partial/ and swaps it in, unlinking the
// fork's names, never the source's files.
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../schemas/config.ts';
import { configPath, readManifest, stageDir, writeSavedConfig } from './lib/stage/run-dir.ts';
import { liveLock } from './lib/stage/run-lock.ts';
import { STAGE_NAMES, type StageName } from './lib/stage/registry.ts';
import { writeJsonAtomic } from './lib/util/atomic.ts';
import { RUN_SCHEMA_VERSION, type RunInfo } from './runs.ts';

/** Errors a hard link gives where a copy still works: another file system, or none allowed. */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK', 'EACCES']);

/** Hard-links (or copies) every file under `from` into `to`; returns how many were copied. */
function linkTree(from: string, to: string): number {
  mkdirSync(to, { recursive: true });
  let copied = 0;
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const [a, b] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory()) copied += linkTree(a, b);
    else if (entry.isFile()) {
      try {
        linkSync(a, b);
      } catch (e) {
        if (!NO_LINK.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
        copyFileSync(a, b);
        copied++;
      }
    }
  }
  return copied;
}

export interface Fork {
  /** The stages the new run starts with. */
  shared: StageName[];
  /** Files copied because a hard link was refused. */
  copied: number;
}

/** The folder of run `from`, which must exist and be idle (its stages would change under the fork). */
export function forkSource(root: string, from: string): string {
  const source = join(root, from);
  if (!existsSync(configPath(source))) throw new Error(`--from ${from}: run ${from} does not exist under ${root}`);
  const busy = liveLock(source);
  if (busy) throw new Error(`--from ${from}: run ${from} is busy (${busy.command}, pid ${busy.pid} on ${busy.host}); fork it once that finishes`);
  return source;
}

/** Makes run `id` under `root` from run `from`'s finished stages with `config`; the run appears whole or not at all. */
export function forkRun(root: string, from: string, id: string, config: Config): Fork {
  const source = forkSource(root, from);
  const target = join(root, id);
  if (existsSync(target)) throw new Error(`--from ${from}: run ${id} already exists; a fork is a new run (name another with --run, or leave --run out for a dated id)`);
  // Built under a hidden name without run.json (which `runs` and `latest` skip), then renamed.
  const work = join(root, `.${id}.fork-${process.pid}`);
  try {
    const shared = STAGE_NAMES.filter((s) => readManifest(source, s));
    const copied = shared.reduce((n, s) => n + linkTree(stageDir(source, s), stageDir(work, s)), 0);
    writeSavedConfig(work, config);
    const now = new Date().toISOString();
    const info: RunInfo = { schema: 'llc-pipeline/run', schema_version: RUN_SCHEMA_VERSION, id, created_at: now, updated_at: now, forked_from: { run: from, stages: shared } };
    writeJsonAtomic(join(work, 'run.json'), info);
    renameSync(work, target);
    return { shared, copied };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
