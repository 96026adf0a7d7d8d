// manifest.json: what a stage wrote, from what, with which config and tools. The cache
// decides freshness from it and every reader checks hashes against it.
import { z } from 'zod';

export const MANIFEST_SCHEMA_ID = 'llc-pipeline/manifest';
export const MANIFEST_SCHEMA_VERSION = 1;

const FileEntry = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().min(0) }).strict();
export type FileEntry = z.infer<typeof FileEntry>;

export const Manifest = z
  .object({
    schema: z.literal(MANIFEST_SCHEMA_ID),
    schema_version: z.literal(MANIFEST_SCHEMA_VERSION),
    stage: z.string(),
    /** The schema of the stage's own outputs. */
    output_schema: z.object({ id: z.string(), version: z.number().int() }).strict(),
    run: z.string(),
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
  })
  .strict();
export type Manifest = z.infer<typeof Manifest>;
