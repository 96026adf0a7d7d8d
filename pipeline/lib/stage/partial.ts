// The life of a stage's <stage>.partial/ folder: made (or kept, for a resumable stage) before
// the body runs, listed with hashes when it ends, and swapped into place as <stage>/ — so a
// stage killed half-way leaves only the .partial folder, which nothing trusts.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FileEntry } from '../../../schemas/manifest.ts';
import { sha256 } from '../util/hash.ts';
import type { StageName } from './registry.ts';
import { manifestPath, partialDir, stageDir } from './run-dir.ts';

/** Makes the stage's work folder, empty unless `resume`; the old result stops counting the
 * moment it starts being replaced, so its manifest goes first. */
export function openPartial(runDir: string, stage: StageName, resume: boolean): string {
  const work = partialDir(runDir, stage);
  if (!resume) rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  rmSync(manifestPath(runDir, stage), { force: true });
  return work;
}

/** Every file the stage wrote (not its manifest, not an atomic write's leftover temp file),
 * with its sha256 and size. */
export function partialOutputs(work: string): Record<string, FileEntry> {
  const outputs: Record<string, FileEntry> = {};
  const files = readdirSync(work, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(work, f)).isFile() && !/(^|\/)\.[^/]*\.tmp-\d+$/.test(f) && f !== 'manifest.json')
    .sort();
  for (const f of files) {
    const bytes = readFileSync(join(work, f));
    outputs[f] = { sha256: sha256(bytes), bytes: bytes.length };
  }
  return outputs;
}

/** Replaces <stage>/ with the finished work folder. */
export function commitPartial(runDir: string, stage: StageName, work: string): void {
  const final = stageDir(runDir, stage);
  rmSync(final, { recursive: true, force: true });
  renameSync(work, final);
}
