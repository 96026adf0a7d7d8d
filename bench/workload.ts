// The default workload's time per stage (`npm run bench -- --only workload`): `pipeline run
// all` on the default config (or `--workload-preset NAME`) in a fresh artifacts folder, then
// each stage's wall time from its manifest, and the sampling stages' chain-steps per second.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { STAGE_NAMES } from '../pipeline/lib/stage/registry.ts';

const BIN = fileURLToPath(new URL('../bin/pipeline.mjs', import.meta.url));

export async function benchWorkload(preset: string | undefined): Promise<void> {
  const out = (line: string) => process.stdout.write(line + '\n');
  const what = preset ? `--preset ${preset}` : 'the default config';
  out(`\nthe workload: pipeline run all on ${what}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
  const root = mkdtempSync(join(tmpdir(), 'llc-bench-workload-'));
  try {
    const started = performance.now();
    const r = await execa(process.execPath, [BIN, 'run', 'all', '--run', 'bench', ...(preset ? ['--preset', preset] : [])], { env: { PIPELINE_ARTIFACTS: root }, reject: false, all: true });
    const wall = (performance.now() - started) / 1000;
    if (r.exitCode !== 0) throw new Error(`pipeline run all failed:\n${String(r.all).split('\n').slice(-10).join('\n')}`);
    out(`  ${'stage'.padEnd(12)}${'seconds'.padStart(9)}  ${'chain-steps/s'.padStart(13)}`);
    for (const stage of STAGE_NAMES) {
      const m = JSON.parse(readFileSync(join(root, 'bench', stage, 'manifest.json'), 'utf8')) as { duration_s: number; runtime: { chain_steps_per_s?: number } };
      const rate = m.runtime.chain_steps_per_s;
      out(`  ${stage.padEnd(12)}${m.duration_s.toFixed(1).padStart(9)}  ${(rate === undefined ? '' : rate.toFixed(1)).padStart(13)}`);
    }
    out(`  ${'all'.padEnd(12)}${wall.toFixed(1).padStart(9)}  (wall time of the command)`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
