// A copy of the repository's code (node_modules linked), to edit without touching the real
// one: a different code version for freshness and for the queue's workers.
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './cli.ts';

export function repoCopy(t: { after(fn: () => void): void }): string {
  const repo = tempDir(t, 'llc-repo-');
  for (const f of ['bin', 'pipeline', 'schemas', 'stages', 'package.json', 'package-lock.json', 'tsconfig.json']) cpSync(join(ROOT, f), join(repo, f), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'));
  return repo;
}
