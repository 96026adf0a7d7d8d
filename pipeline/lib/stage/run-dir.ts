// The layout of a run on disk, shared by the orchestrator and the stages:
//   artifacts/<run>/run.json           id and dates
//   artifacts/<run>/config.json        the resolved config
//   artifacts/<run>/<stage>/           a finished stage: its files and manifest.json
//   artifacts/<run>/<stage>.partial/   a stage at work (or killed): never trusted
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CONFIG_SCHEMA_ID, CONFIG_SCHEMA_VERSION, ConfigSchema, type Config } from '../../../schemas/config.ts';
import { Manifest } from '../../../schemas/manifest.ts';
import { writeJsonAtomic } from '../util/atomic.ts';

export const stageDir = (runDir: string, stage: string) => join(runDir, stage);
export const partialDir = (runDir: string, stage: string) => join(runDir, `${stage}.partial`);
export const manifestPath = (runDir: string, stage: string) => join(stageDir(runDir, stage), 'manifest.json');
export const configPath = (runDir: string) => join(runDir, 'config.json');

const SavedConfig = z.object({ schema: z.literal(CONFIG_SCHEMA_ID), schema_version: z.literal(CONFIG_SCHEMA_VERSION), config: z.unknown() }).strict();

/** Parses a JSON file against a schema; the error names the file and what is wrong. */
export function readJsonFile<T extends z.ZodTypeAny>(path: string, schema: T): z.infer<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read JSON (${(e as Error).message})`);
  }
  return parseJson(text, path, schema);
}

/** Parses JSON text read from `path` against a schema. */
export function parseJson<T extends z.ZodTypeAny>(text: string, path: string, schema: T): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: cannot read JSON (${(e as Error).message})`);
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${path}: does not match its schema: ${issues.join('; ')}`);
  }
  return r.data;
}

export function readSavedConfig(runDir: string): Config {
  const saved = readJsonFile(configPath(runDir), SavedConfig);
  const r = ConfigSchema.safeParse(saved.config);
  if (!r.success) throw new Error(`${configPath(runDir)}: invalid config: ${r.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`);
  return r.data;
}

export function writeSavedConfig(runDir: string, config: Config): void {
  writeJsonAtomic(configPath(runDir), { schema: CONFIG_SCHEMA_ID, schema_version: CONFIG_SCHEMA_VERSION, config });
}

/** The stage's manifest, or undefined when the stage has not finished. Throws when it is unreadable. */
export function readManifest(runDir: string, stage: string): Manifest | undefined {
  const path = manifestPath(runDir, stage);
  return existsSync(path) ? readJsonFile(path, Manifest) : undefined;
}
