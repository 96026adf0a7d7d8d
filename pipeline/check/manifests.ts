// A finished stage's manifest against the files: every output present with its recorded
// size and sha256, nothing unlisted beside them, and every input it recorded still what
// the upstream manifest lists and what the upstream file holds.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../schemas/manifest.ts';
import { STAGES, isStageName } from '../lib/stage/registry.ts';
import type { CheckContext } from './context.ts';

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/** Files under a stage folder, relative to it. */
function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());
}

export function checkOutputs(c: CheckContext, stage: string, m: Manifest): void {
  const manifestFile = `${stage}/manifest.json`;
  if (m.stage !== stage) c.fail(manifestFile, `names stage "${m.stage}", but lies in the folder of stage "${stage}"`);
  // A run folder copied or renamed keeps valid artifacts; only the record is off.
  if (m.run !== c.runId) c.warn(manifestFile, `names run "${m.run}", but lies in run ${c.runId} (copied or renamed?)`);
  if (isStageName(stage)) {
    const want = STAGES[stage].outputSchema;
    if (m.output_schema.id !== want.id || m.output_schema.version !== want.version) {
      c.fail(manifestFile, `records output schema ${m.output_schema.id} v${m.output_schema.version}; this pipeline writes ${want.id} v${want.version} for ${stage}`);
    }
  }
  for (const [name, entry] of Object.entries(m.outputs)) {
    const file = `${stage}/${name}`;
    const bytes = c.bytes(file);
    if (!bytes) c.fail(file, `missing, though ${manifestFile} lists it`);
    else if (bytes.length !== entry.bytes) c.fail(file, `holds ${bytes.length} bytes, ${manifestFile} records ${entry.bytes}`);
    else if (c.sha(file) !== entry.sha256) c.fail(file, `sha256 ${short(c.sha(file)!)} differs from ${short(entry.sha256)} recorded in ${manifestFile}: the file changed after the stage wrote it`);
  }
  for (const name of filesIn(join(c.runDir, stage))) {
    if (name !== 'manifest.json' && !(name in m.outputs)) c.warn(`${stage}/${name}`, `not listed in ${manifestFile}: no reader trusts it`);
  }
}

export function checkInputs(c: CheckContext, stage: string, m: Manifest): void {
  const manifestFile = `${stage}/manifest.json`;
  for (const [key, entry] of Object.entries(m.inputs)) {
    const slash = key.indexOf('/');
    if (slash < 0) {
      c.fail(manifestFile, `input ${key} does not name <stage>/<file>`);
      continue;
    }
    const dep = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const upstream = c.manifests.get(dep);
    if (!upstream) {
      c.fail(manifestFile, `input ${key}: stage "${dep}" has no manifest in this run`);
      continue;
    }
    const recorded = upstream.outputs[name];
    if (!recorded) c.fail(manifestFile, `input ${key} is not among the outputs in ${dep}/manifest.json`);
    else if (recorded.sha256 !== entry.sha256 || recorded.bytes !== entry.bytes) {
      c.fail(manifestFile, `input ${key} was read with sha256 ${short(entry.sha256)}, but ${dep}/manifest.json records ${short(recorded.sha256)}: the manifests disagree (${dep} rerun after ${stage}, or a manifest edited)`);
    }
    const now = c.sha(key);
    if (now !== undefined && now !== entry.sha256) c.fail(manifestFile, `input ${key} now holds sha256 ${short(now)}, not the ${short(entry.sha256)} this stage read`);
  }
}
