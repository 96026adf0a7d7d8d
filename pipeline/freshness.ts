// Is a stage's cached result still valid? Fresh when its manifest exists, its config
// slice is unchanged, the code it ran (its module graph, the lockfile, package and Node
// versions) is the code now, the inputs it read are still what its upstream stages hold
// (and those are fresh), and its own outputs are unmodified.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../schemas/config.ts';
import { codeChanges, codeFingerprint } from './lib/stage/code-fingerprint.ts';
import { sha256 } from './lib/util/hash.ts';
import { partialDir, readManifest, stageDir } from './lib/stage/run-dir.ts';
import { activity, type RunLock } from './lib/stage/run-lock.ts';
import { STAGES, STAGE_NAMES, depsOf, stageScript, type StageName } from './lib/stage/registry.ts';
import { changedKeys } from './config.ts';

export type StageState = 'fresh' | 'stale' | 'missing' | 'running';

export interface StageStatus {
  stage: StageName;
  state: StageState;
  reasons: string[];
  endedAt?: string;
}

function show(v: unknown): string {
  return JSON.stringify(v) ?? 'unset';
}

function valueAt(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), obj);
}

/** The status of one stage, given the statuses of the stages before it. */
export function stageStatus(runDir: string, config: Config, stage: StageName, earlier: Map<StageName, StageStatus>): StageStatus {
  let manifest;
  try {
    manifest = readManifest(runDir, stage);
  } catch (e) {
    return { stage, state: 'stale', reasons: [`manifest unreadable: ${(e as Error).message}`] };
  }
  if (!manifest) {
    const why = existsSync(partialDir(runDir, stage)) ? 'interrupted: an unfinished attempt left no manifest' : 'not run yet';
    return { stage, state: 'missing', reasons: [why] };
  }
  const reasons: string[] = [];
  const current = STAGES[stage].slice(config);
  for (const key of changedKeys('', manifest.config, current)) {
    reasons.push(`config ${key} changed: ${show(valueAt(manifest.config, key))} → ${show(valueAt(current, key))}`);
  }
  if (manifest.schema_version === 1) reasons.push('made before code was tracked (manifest schema 1)');
  else reasons.push(...codeChanges(manifest.code, codeFingerprint(stageScript(stage))));
  for (const dep of depsOf(stage, config)) {
    const depStatus = earlier.get(dep);
    if (depStatus && depStatus.state !== 'fresh') {
      reasons.push(`upstream ${dep} is ${depStatus.state}`);
      continue;
    }
    const depManifest = readManifest(runDir, dep);
    for (const [key, entry] of Object.entries(manifest.inputs)) {
      if (!key.startsWith(`${dep}/`)) continue;
      const now = depManifest?.outputs[key.slice(dep.length + 1)];
      if (!now) reasons.push(`input ${key} is no longer produced by ${dep}`);
      else if (now.sha256 !== entry.sha256) reasons.push(`input ${key} changed`);
    }
  }
  for (const [file, entry] of Object.entries(manifest.outputs)) {
    const path = join(stageDir(runDir, stage), file);
    if (!existsSync(path)) reasons.push(`output ${file} is missing`);
    else if (sha256(readFileSync(path)) !== entry.sha256) reasons.push(`output ${file} was modified after the stage wrote it`);
  }
  return { stage, state: reasons.length ? 'stale' : 'fresh', reasons, endedAt: manifest.ended_at };
}

/** Statuses of all stages in pipeline order; with the run's live lock, the stage it works on is running. */
export function runStatus(runDir: string, config: Config, lock?: RunLock): Map<StageName, StageStatus> {
  const out = new Map<StageName, StageStatus>();
  for (const s of STAGE_NAMES) {
    out.set(s, lock?.stage === s ? { stage: s, state: 'running', reasons: [activity(runDir, lock)] } : stageStatus(runDir, config, s, out));
  }
  return out;
}
