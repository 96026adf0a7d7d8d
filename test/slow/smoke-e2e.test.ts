// The whole pipeline on the smoke preset through the real CLI, then `pipeline check` on the
// run: what CI runs end to end.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pipeline, tempDir } from '../helpers/cli.ts';

test('pipeline run all --preset smoke, then pipeline check passes; a flipped checkpoint byte fails it by name', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const run = await pipeline(['run', 'all', '--preset', 'smoke', '--run', 'smoke'], dir);
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  for (const stage of ['generate', 'train', 'export', 'estimate', 'sweep', 'calibration', 'report']) {
    assert.ok(existsSync(join(dir, 'smoke', stage, 'manifest.json')), `${stage} has no manifest`);
  }
  const check = await pipeline(['check', '--run', 'smoke'], dir);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const again = await pipeline(['run', 'all', '--run', 'smoke'], dir);
  assert.equal(again.code, 0);
  assert.equal(again.stderr.match(/fresh, skipped/g)?.length, 7, again.stderr);

  const checkpoint = join(dir, 'smoke', 'train', 'seed-1', 'checkpoints', 'step-000600.safetensors');
  const bytes = readFileSync(checkpoint);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 5) ^ 0x01, bytes.length - 5);
  writeFileSync(checkpoint, bytes);
  const broken = await pipeline(['check', '--run', 'smoke'], dir);
  assert.notEqual(broken.code, 0);
  assert.match(broken.stdout + broken.stderr, /train\/seed-1\/checkpoints\/step-000600\.safetensors/);
  // The report judges the notebook's claims, each with a verdict.
  const report = readFileSync(join(dir, 'smoke', 'report', 'report.html'), 'utf8');
  assert.equal(report.match(/<p class="verdict"><strong>(supported|contradicted|cannot tell)<\/strong>/g)?.length, 3);
});
