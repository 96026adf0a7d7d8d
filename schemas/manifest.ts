// manifest.json: what a stage wrote, from what, with which config, code and tools. The
// cache decides freshness from it and every reader checks hashes against it.
import { z } from 'zod';

export const MANIFEST_SCHEMA_ID = 'llc-pipeline/manifest';
/** 2 added `code`; manifests of version 1 are still read (their stages count as stale). */
export const MANIFEST_SCHEMA_VERSION = 2;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const FileEntry = z.object({ sha256, bytes: z.number().int().min(0) }).strict();
export type FileEntry = z.infer<typeof FileEntry>;

/** The code a stage ran (pipeline/lib/stage/code-fingerprint.ts). */
export const CodeFingerprint = z
  .object({
    /** sha256 of every file of the stage's module graph and the lockfile, keyed by path from the repository root. */
    files: z.record(sha256),
    /** The installed version of every npm package those files import. */
    packages: z.record(z.string()),
    node: z.string(),
  })
  .strict();
export type CodeFingerprint = z.infer<typeof CodeFingerprint>;

const fields = {
  schema: z.literal(MANIFEST_SCHEMA_ID),
  stage: z.string(),
  /** The schema of the stage's own outputs. */
  output_schema: z.object({ id: z.string(), version: z.number().int() }).strict(),
  run: z.string(),
  /** The stage's config slice: all of the config the stage saw. */
  config: z.record(z.unknown()),
  /** Keyed `<stage>/<file>`, hashes as recorded by the upstream manifests. */
  inputs: z.record(FileEntry),
  /** Keyed by path relative to the stage folder. */
  outputs: z.record(FileEntry),
  tools: z.record(z.string()),
  runtime: z.record(z.unknown()),
  host: z.object({ hostname: z.string(), platform: z.string(), arch: z.string(), cpus: z.number(), cpu_model: z.string() }).strict(),
  started_at: z.string(),
  ended_at: z.string(),
  duration_s: z.number(),
  /** Stage-specific facts (e.g. export parity). */
  results: z.record(z.unknown()),
};

/** What a stage writes now. */
export const CurrentManifest = z.object({ ...fields, schema_version: z.literal(MANIFEST_SCHEMA_VERSION), code: CodeFingerprint }).strict();
export type CurrentManifest = z.infer<typeof CurrentManifest>;

/** Any manifest this pipeline reads: the current one, or one made before code was tracked. */
export const Manifest = z.discriminatedUnion('schema_version', [CurrentManifest, z.object({ ...fields, schema_version: z.literal(1) }).strict()]);
export type Manifest = z.infer<typeof Manifest>;
