// Runs the real `pipeline` command in a child process against a temporary artifacts root.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/pipeline.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function pipeline(args: string[], artifacts: string, env: Record<string, string> = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [BIN, ...args], { reject: false, cwd: ROOT, env: { PIPELINE_ARTIFACTS: artifacts, ...env } });
  return { code: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A fresh temp folder, removed when the test ends. */
export function tempDir(t: { after(fn: () => void): void }, prefix = 'llc-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
