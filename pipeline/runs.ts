// Runs: folders under the artifacts root, each with run.json (id, dates, and the run it was
// forked from).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from './lib/util/atomic.ts';
import { readJsonFile } from './lib/stage/run-dir.ts';

/** Version 2 adds forked_from; version 1 files are read as they are. */
export const RUN_SCHEMA_VERSION = 2;

export const RunInfo = z
  .object({
    schema: z.literal('llc-pipeline/run'),
    schema_version: z.union([z.literal(1), z.literal(RUN_SCHEMA_VERSION)]),
    id: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    /** `pipeline run --from`: the run this one was forked from, and the stages it started with. */
    forked_from: z.object({ run: z.string(), stages: z.array(z.string()) }).strict().optional(),
  })
  .strict();
export type RunInfo = z.infer<typeof RunInfo>;

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The artifacts root: --artifacts, else $PIPELINE_ARTIFACTS, else ./artifacts. */
export function artifactsRoot(flag?: string): string {
  return resolve(flag ?? process.env.PIPELINE_ARTIFACTS ?? 'artifacts');
}

export function listRuns(root: string): RunInfo[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'run.json')))
    .map((d) => readJsonFile(join(root, d.name, 'run.json'), RunInfo))
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

/** A new id from the current UTC time, e.g. 20261127-083650 (with -2, -3… on a clash). */
export function newRunId(root: string, now = new Date()): string {
  const base = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  let id = base;
  for (let i = 2; existsSync(join(root, id)); i++) id = `${base}-${i}`;
  return id;
}

/** Resolves `latest` to the newest run and checks the id's form. */
export function resolveRunId(root: string, id: string): string {
  if (id === 'latest') {
    const runs = listRuns(root);
    const last = runs[runs.length - 1];
    if (!last) throw new Error(`--run latest: there are no runs under ${root}`);
    return last.id;
  }
  if (!RUN_ID.test(id)) throw new Error(`--run ${JSON.stringify(id)}: a run id is letters, digits, '.', '_' and '-' (at most 100), starting with a letter or digit`);
  return id;
}

/** Creates the run folder and run.json if needed, and stamps updated_at. */
export function touchRun(root: string, id: string): string {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'run.json');
  const now = new Date().toISOString();
  const info: RunInfo = existsSync(path)
    ? { ...readJsonFile(path, RunInfo), schema_version: RUN_SCHEMA_VERSION, updated_at: now }
    : { schema: 'llc-pipeline/run', schema_version: RUN_SCHEMA_VERSION, id, created_at: now, updated_at: now };
  writeJsonAtomic(path, info);
  return dir;
}
