// One process at a time works in a run. `pipeline run` (or a stage script run by itself)
// holds <run>/lock.json: its pid, host and start, the stage at work and that stage's
// process. A second one refuses, naming the holder; a lock whose processes are gone (on this
// host) is taken over with a notice. Stages report progress in <run>/progress.json, which
// `pipeline status` and `pipeline runs` show beside the lock.
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../util/atomic.ts';

const RunLock = z
  .object({
    schema: z.literal('llc-pipeline/run-lock'),
    schema_version: z.literal(1),
    pid: z.number().int(),
    host: z.string(),
    started_at: z.string(),
    /** What holds it, e.g. "pipeline run export". */
    command: z.string(),
    /** The stage at work and its process (the holder itself for a stage run by itself). */
    stage: z.string().optional(),
    stage_pid: z.number().int().optional(),
  })
  .strict();
export type RunLock = z.infer<typeof RunLock>;

const Progress = z.object({ stage: z.string(), done: z.number(), total: z.number(), updated_at: z.string() }).strict();
type StageProgress = z.infer<typeof Progress>;

export const lockPath = (runDir: string) => join(runDir, 'lock.json');
const progressPath = (runDir: string) => join(runDir, 'progress.json');
/** Held while a stale lock is taken over, so that two takers cannot both succeed. */
const takeoverPath = (runDir: string) => `${lockPath(runDir)}.takeover`;
/** A takeover guard older than this was left by a taker that died. */
const TAKEOVER_STALE_MS = 30_000;

function readJson<T extends z.ZodTypeAny>(path: string, schema: T): z.infer<T> | undefined {
  try {
    return schema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return undefined;
  }
}

/** The run's lock, or undefined when there is none (or it cannot be read). */
export const readLock = (runDir: string): RunLock | undefined => readJson(lockPath(runDir), RunLock);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lock's processes still run; on another host this cannot be told, so it counts as live. */
export function lockIsLive(lock: RunLock): boolean {
  if (lock.host !== hostname()) return true;
  return alive(lock.pid) || (lock.stage_pid !== undefined && alive(lock.stage_pid));
}

function holder(lock: RunLock): string {
  return `${lock.command} (pid ${lock.pid} on ${lock.host}, since ${lock.started_at}${lock.stage ? `, at stage ${lock.stage}` : ''})`;
}

/** The progress of the stage at work, when a live lock names it and it has reported any. */
function readProgress(runDir: string, lock: RunLock): StageProgress | undefined {
  const p = readJson(progressPath(runDir), Progress);
  return p && p.stage === lock.stage ? p : undefined;
}

export function writeProgress(runDir: string, progress: Omit<StageProgress, 'updated_at'>): void {
  writeJsonAtomic(progressPath(runDir), { ...progress, updated_at: new Date().toISOString() });
}

/** "41 % (pid 1234 on host, since …)": how far the stage a live lock names has got, and who runs it. */
export function activity(runDir: string, lock: RunLock): string {
  const p = readProgress(runDir, lock);
  const pct = p && p.total > 0 ? `${Math.floor((100 * p.done) / p.total)} % ` : '';
  return `${pct}(pid ${lock.pid} on ${lock.host}, since ${lock.started_at})`;
}

/** The run's lock when a process holds it; a stale one (process gone) is not. */
export function liveLock(runDir: string): RunLock | undefined {
  const lock = readLock(runDir);
  return lock && lockIsLive(lock) ? lock : undefined;
}

/** Publishes the lock only if none exists: link() fails on an existing name as O_EXCL does,
 * and the lock appears with its content, never empty. */
function tryCreate(runDir: string, lock: RunLock): boolean {
  const tmp = `${lockPath(runDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(lock, null, 2) + '\n');
  try {
    linkSync(tmp, lockPath(runDir));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Takes the takeover guard, clearing one left by a taker that died. */
function takeGuard(runDir: string): void {
  const guard = takeoverPath(runDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      mkdirSync(guard);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const made = statSync(guard, { throwIfNoEntry: false })?.mtimeMs;
    if (attempt === 0 && (made === undefined || Date.now() - made > TAKEOVER_STALE_MS)) rmSync(guard, { recursive: true, force: true });
  }
  throw new Error(`run ${runDir}: another process is taking over its stale lock; try again`);
}

/** Removes `stale` if it is still the lock, under the takeover guard. */
function takeOver(runDir: string, stale: RunLock): void {
  takeGuard(runDir);
  try {
    const now = readLock(runDir);
    if (now && now.pid === stale.pid && now.started_at === stale.started_at) rmSync(lockPath(runDir));
  } finally {
    rmSync(takeoverPath(runDir), { recursive: true, force: true });
  }
}

export interface HeldLock {
  /** Records the stage at work (and its process, when it runs in a child). */
  update(stage: string, stagePid?: number): void;
  release(): void;
}

/** Takes the run's lock or throws naming who holds it; `notice` hears about a takeover. */
export function acquireRunLock(runDir: string, command: string, notice: (message: string) => void, stage?: string): HeldLock {
  mkdirSync(runDir, { recursive: true });
  let lock: RunLock = { schema: 'llc-pipeline/run-lock', schema_version: 1, pid: process.pid, host: hostname(), started_at: new Date().toISOString(), command, ...(stage ? { stage } : {}) };
  // A few tries: the lock may vanish or be taken over between our attempts.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(runDir, lock)) {
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        if (readLock(runDir)?.pid !== process.pid) return;
        rmSync(progressPath(runDir), { force: true });
        rmSync(lockPath(runDir), { force: true });
      };
      releaseOnExit(release);
      return {
        update(atStage, stagePid) {
          const { stage_pid: _, ...rest } = lock;
          lock = { ...rest, stage: atStage, ...(stagePid === undefined ? {} : { stage_pid: stagePid }) };
          writeJsonAtomic(lockPath(runDir), lock);
        },
        release,
      };
    }
    const path = lockPath(runDir);
    const other = readLock(runDir);
    if (!other) {
      if (existsSync(path)) throw new Error(`${path}: not a lock this pipeline can read; delete it if no pipeline works in run ${runDir}`);
      continue;
    }
    if (lockIsLive(other)) {
      const elsewhere = other.host === hostname() ? '' : `, or delete ${path} if nothing runs on ${other.host} any more`;
      throw new Error(`run ${runDir} is busy: ${holder(other)} holds ${path}; wait for it to finish${elsewhere}`);
    }
    takeOver(runDir, other);
    notice(`taking over ${path}, left by ${holder(other)}, whose process is gone`);
  }
  throw new Error(`run ${runDir}: could not take ${lockPath(runDir)}: it keeps changing hands`);
}

/** Releases on exit, and on SIGINT/SIGTERM before dying of the signal as usual. */
function releaseOnExit(release: () => void): void {
  process.once('exit', release);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      release();
      process.kill(process.pid, signal);
    });
  }
}
