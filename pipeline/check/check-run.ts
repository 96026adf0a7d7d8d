// `pipeline check` on one run: the run's own files, then every stage — its manifest, its
// files against the manifest, its inputs against the upstream manifests, and the content
// of every output — collecting every finding instead of stopping at the first.
import { existsSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { z } from 'zod';
import { manifestPath, readJsonFile, readSavedConfig } from '../lib/stage/run-dir.ts';
import { Manifest } from '../../schemas/manifest.ts';
import { STAGE_NAMES, isStageName } from '../lib/stage/registry.ts';
import { RunInfo } from '../runs.ts';
import { CheckContext } from './context.ts';
import type { Problem } from './problems.ts';
import { checkInputs, checkOutputs } from './manifests.ts';
import { VALIDATORS } from './validators/index.ts';

export interface StageCheck {
  stage: string;
  /** checked: it has a readable manifest; unreadable: its manifest is broken; not run: none. */
  state: 'checked' | 'unreadable' | 'not run';
  /** Output files its manifest lists. */
  files: number;
}

export interface RunCheck {
  run: string;
  dir: string;
  stages: StageCheck[];
  findings: Problem[];
}

/** Parses every output a validator did not read, by its extension (cached reads make this a no-op for those it did). */
function parseByExtension(c: CheckContext, stage: string): void {
  for (const name of c.outputs(stage)) {
    const file = `${stage}/${name}`;
    const ext = extname(name);
    if (ext === '.json') c.json(file, z.unknown());
    else if (ext === '.safetensors') c.tensors(file);
    else if (ext === '.onnx') c.onnx(file);
  }
}

/** Stages that cannot be trusted without `stage`: those that read from it, by their recorded
 * inputs (the registry's deps say what a stage may read: estimate reads the sweep only where
 * it takes ε and nβ from it). */
function dependents(c: CheckContext, stage: string): string[] {
  return [...c.manifests].filter(([, m]) => Object.keys(m.inputs).some((k) => k.startsWith(`${stage}/`))).map(([s]) => s);
}

export function checkRun(runDir: string): RunCheck {
  const c = new CheckContext(runDir);
  const info = c.json('run.json', RunInfo);
  if (info && info.id !== c.runId) c.fail('run.json', `names run "${info.id}", but lies in folder ${c.runId}: \`--run latest\` and \`pipeline runs\` would point at the wrong folder`);
  if (!existsSync(join(runDir, 'config.json'))) c.fail('config.json', 'missing: the run has no saved config');
  else c.attempt('config.json', () => readSavedConfig(runDir));

  const folders = readdirSync(runDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const f of folders.filter((f) => f.endsWith('.partial'))) c.warn(`${f}/`, 'an unfinished attempt of the stage (interrupted or running now); nothing reads it');
  const others = folders.filter((f) => !f.endsWith('.partial') && !isStageName(f));
  const stages = [...STAGE_NAMES, ...others];

  const states = new Map<string, StageCheck['state']>();
  for (const stage of stages) {
    if (!existsSync(manifestPath(runDir, stage))) continue;
    const m = c.attempt(`${stage}/manifest.json`, () => readJsonFile(manifestPath(runDir, stage), Manifest));
    if (m) c.manifests.set(stage, m);
    states.set(stage, m ? 'checked' : 'unreadable');
  }
  for (const stage of stages) {
    const m = c.manifests.get(stage);
    if (m) {
      checkOutputs(c, stage, m);
      checkInputs(c, stage, m);
      VALIDATORS[stage]?.(c, m);
      parseByExtension(c, stage);
    } else if (!states.has(stage)) {
      const needed = dependents(c, stage);
      const what = folders.includes(stage) ? 'did not finish (its folder has no manifest.json)' : 'not run';
      if (needed.length) c.fail(`${stage}/`, `${what}, yet ${needed.join(', ')} depend${needed.length === 1 ? 's' : ''} on it`);
      else c.warn(`${stage}/`, isStageName(stage) ? what : 'not a stage of this pipeline, and it has no manifest.json');
    }
  }
  return {
    run: c.runId,
    dir: runDir,
    stages: stages.map((stage) => ({ stage, state: states.get(stage) ?? 'not run', files: Object.keys(c.manifests.get(stage)?.outputs ?? {}).length })),
    findings: c.problems.list,
  };
}
