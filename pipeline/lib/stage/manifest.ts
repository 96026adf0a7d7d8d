// A finished stage's manifest: what it read (with hashes), wrote (with hashes), was
// configured with, ran (its code fingerprint and tool versions), where and for how long.
import { arch, cpus, hostname, platform } from 'node:os';
import { join } from 'node:path';
import { MANIFEST_SCHEMA_ID, MANIFEST_SCHEMA_VERSION, type CurrentManifest } from '../../../schemas/manifest.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import type { CodeFingerprint } from '../../../schemas/manifest.ts';
import type { StageContext } from './context.ts';
import { partialOutputs } from './partial.ts';
import { STAGES } from './registry.ts';

/** Writes <work>/manifest.json for the stage `ctx` ran between `started` and `ended`. */
export function writeManifest(ctx: StageContext, work: string, code: CodeFingerprint, started: Date, ended: Date): void {
  const manifest: CurrentManifest = {
    schema: MANIFEST_SCHEMA_ID,
    schema_version: MANIFEST_SCHEMA_VERSION,
    stage: ctx.stage,
    output_schema: STAGES[ctx.stage].outputSchema,
    run: ctx.runId,
    config: ctx.config,
    inputs: ctx.inputs,
    outputs: partialOutputs(work),
    code,
    tools: ctx.tools,
    runtime: ctx.runtime,
    host: { hostname: hostname(), platform: platform(), arch: arch(), cpus: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown' },
    started_at: started.toISOString(),
    ended_at: ended.toISOString(),
    duration_s: (ended.getTime() - started.getTime()) / 1000,
    results: ctx.results,
  };
  writeJsonAtomic(join(work, 'manifest.json'), manifest);
}
