// `pipeline run --from`: a fork starts with the source run's finished stages, hard-linked,
// reruns only what its own config makes stale, never touches the source's files, and is
// compared with `pipeline diff`, whose page lands under the artifacts root.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sha256 } from '../../pipeline/lib/util/hash.ts';
import { pipeline, tempDir } from '../helpers/cli.ts';
import { TINY } from '../helpers/report-run.ts';

const stageLines = (stderr: string) => stderr.split('\n').filter((l) => /^\w+: (running \(|fresh, skipped)/.test(l));

/** Every file under a run folder with its inode and sha256. */
function snapshot(dir: string): Map<string, { ino: number; sha: string }> {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());
  return new Map(files.map((f) => [f, { ino: statSync(join(dir, f)).ino, sha: sha256(readFileSync(join(dir, f))) }]));
}

test('a fork with another estimate.num_chains reruns estimate only, leaves its source as it was, and diffs against it', { timeout: 300_000 }, async (t) => {
  const root = tempDir(t, 'llc-fork-');
  const built = await pipeline(['run', 'estimate', '--run', 's1', ...TINY], root);
  assert.equal(built.code, 0, built.stderr);
  assert.match(built.stderr, /^run s1: done in .*; no report yet \(pipeline run report --run s1 makes it\)$/m);
  const before = snapshot(join(root, 's1'));

  const fork = await pipeline(['run', 'estimate', '--from', 's1', '--run', 's1b', '--set', 'estimate.num_chains=4'], root);
  assert.equal(fork.code, 0, fork.stderr);
  assert.match(fork.stderr, /^pipeline: run s1b forked from s1: starts with generate, train, export, estimate \(hard links\)$/m);
  assert.deepEqual(stageLines(fork.stderr), ['generate: fresh, skipped', 'train: fresh, skipped', 'export: fresh, skipped', 'estimate: running (config estimate.num_chains changed: 2 → 4)']);
  const estimates = JSON.parse(readFileSync(join(root, 's1b', 'estimate', 'estimates.json'), 'utf8'));
  assert.equal(estimates.checkpoints[0].llc_per_chain.length, 4);
  // Upstream artifacts are the source's own files; the source is byte for byte, inode for inode, as it was.
  const after = snapshot(join(root, 's1'));
  assert.deepEqual([...after].filter(([f]) => !f.startsWith('lock') && f !== 'run.json'), [...before].filter(([f]) => !f.startsWith('lock') && f !== 'run.json'));
  const forked = snapshot(join(root, 's1b'));
  const checkpoint = [...forked.keys()].find((f) => f.startsWith('train/seed-0/checkpoints/'))!;
  assert.equal(forked.get(checkpoint)!.ino, before.get(checkpoint)!.ino, 'the fork copied a checkpoint instead of linking it');
  assert.notEqual(forked.get('estimate/estimates.json')!.sha, before.get('estimate/estimates.json')!.sha);
  const info = JSON.parse(readFileSync(join(root, 's1b', 'run.json'), 'utf8'));
  assert.deepEqual(info.forked_from, { run: 's1', stages: ['generate', 'train', 'export', 'estimate'] });
  assert.equal(JSON.parse(readFileSync(join(root, 's1b', 'config.json'), 'utf8')).config.estimate.num_draws, 10, 'the fork lost a value of its source');

  const diff = await pipeline(['diff', 's1', 's1b', '--json'], root);
  assert.equal(diff.code, 0, diff.stderr);
  assert.deepEqual(JSON.parse(diff.stdout).config, [{ key: 'estimate.num_chains', a: 2, b: 4 }]);
  const page = await pipeline(['diff', 's1', 's1b'], root);
  assert.equal(page.code, 0, page.stderr);
  assert.ok(page.stderr.endsWith(`written to ${join(root, 'diff-s1-vs-s1b.html')}`), page.stderr);
  assert.ok(existsSync(join(root, 'diff-s1-vs-s1b.html')));

  // A fork never reuses a run, nor forks one that does not exist; a stage named without
  // --run offers the newest run.
  const again = await pipeline(['run', 'estimate', '--from', 's1', '--run', 's1b'], root);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /--from s1: run s1b already exists; a fork is a new run/);
  const nope = await pipeline(['run', 'estimate', '--from', 'nope'], root);
  assert.equal(nope.code, 1);
  assert.match(nope.stderr, /--from nope: run nope does not exist under /);
  const bare = await pipeline(['run', 'estimate', '--single'], root);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /which is missing in new run \S+ \(not run yet\); name a run that has it: --run latest \(s1b\), or --run <id>/);
});
