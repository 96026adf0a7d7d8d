// `pipeline diff` on real runs: two runs that differ in train.lr (the changed key, metric
// deltas from their artifacts, both runs' curves in one page), a run with missing stages
// (reported, not a crash), `latest`, and clear one-line errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pipeline, tempDir } from '../helpers/cli.ts';
import { TINY, buildRun } from '../helpers/report-run.ts';
import { num } from '../../stages/report/format.ts';

interface Facts {
  a: { run: string; missing: string[] };
  b: { run: string; missing: string[] };
  config: { key: string; a: unknown; b: unknown }[];
  metrics: { metric: string; a: number | null; b: number | null; delta: number | null; se_a: number | null; se_b: number | null; delta_se: number | null }[];
}

test('pipeline diff: config differences, metric deltas and overlaid curves of two runs; missing stages reported', { timeout: 120_000 }, async (t) => {
  const root = tempDir(t, 'llc-diff-');
  await Promise.all([buildRun(root, 'a'), buildRun(root, 'b', ['--set', 'train.lr=0.02'])]);
  const out = join(root, 'a-vs-b.html');
  const r = await pipeline(['diff', 'a', 'b', '--json', '--out', out], root);
  assert.equal(r.code, 0, r.stderr);
  const facts = JSON.parse(r.stdout) as Facts;
  assert.deepEqual(facts.config, [{ key: 'train.lr', a: 0.001, b: 0.02 }]);
  assert.deepEqual([facts.a.missing, facts.b.missing], [[], []]);
  // Two training seeds: the mean of their final test MAE, and each seed's own.
  const final = (run: string, seed: number) => JSON.parse(readFileSync(join(root, run, 'train', `seed-${seed}`, 'metrics.json'), 'utf8')).rows.at(-1);
  const mae = facts.metrics.find((m) => m.metric === 'final test MAE, mean over seeds')!;
  assert.deepEqual([mae.a, mae.b], [(final('a', 0).test_mae + final('a', 1).test_mae) / 2, (final('b', 0).test_mae + final('b', 1).test_mae) / 2]);
  assert.equal(facts.metrics.find((m) => m.metric === 'final test MAE, seed 1')!.a, final('a', 1).test_mae);
  assert.equal(mae.delta, mae.b! - mae.a!);
  const llc = (run: string) => JSON.parse(readFileSync(join(root, run, 'estimate', 'estimates.json'), 'utf8')).checkpoints.at(-1).llc_mean;
  const last = facts.metrics.find((m) => m.metric === 'λ̂ at seed 1 step 40')!;
  assert.deepEqual([last.a, last.b], [llc('a'), llc('b')]);
  // A λ̂'s delta comes with its standard error: each run's from health.json, combined as independent.
  const se = (run: string) => JSON.parse(readFileSync(join(root, run, 'estimate', 'health.json'), 'utf8')).estimates.find((e: { label: string }) => e.label === 'seed 1, checkpoint step 40').llc_se;
  assert.deepEqual([last.se_a, last.se_b], [se('a'), se('b')]);
  assert.ok(last.se_a! > 0 && last.se_b! > 0);
  assert.equal(last.delta_se, Math.hypot(se('a'), se('b')));
  assert.deepEqual([mae.se_a, mae.delta_se], [null, null]);
  assert.ok(facts.metrics.some((m) => m.metric.startsWith('sweep λ̂ at ε=') && m.a !== null && m.b !== null));

  // The page: the changed key, and each chart carrying both runs.
  const page = readFileSync(out, 'utf8');
  assert.ok(page.includes('<td><code>train.lr</code></td><td>0.001</td><td>0.02</td>'));
  const figures = [...page.matchAll(/<figure id="chart-([\w-]+)"[\s\S]*?<script type="application\/json" class="vega-spec">([\s\S]*?)<\/script>/g)];
  assert.deepEqual(figures.map((f) => f[1]), ['diff-mae', 'diff-loss', 'diff-llc', 'diff-sweep']);
  for (const [, name, spec] of figures) assert.ok(/"A: a( seed 0)?"/.test(spec!) && /"B: b( seed 0)?"/.test(spec!), `chart ${name} lacks a run`);
  // The sweep's λ̂ over both runs on one log or symmetric-log axis (it spans the decades of nβ), λ̂/nβ linear.
  const finals = ['a', 'b'].flatMap((run) => JSON.parse(readFileSync(join(root, run, 'sweep', 'sweep.json'), 'utf8')).points.flatMap((pt: { llc_mean: number | null }) => (pt.llc_mean === null ? [] : [pt.llc_mean])));
  const scale = finals.every((v) => v > 0) ? 'log scale' : 'symmetric log scale: linear within ±';
  assert.ok(page.includes(`λ̂ (${scale}`) && page.includes('λ̂/nβ (linear)'), 'the sweep caption does not name the λ̂ scale');
  assert.ok(page.includes(`${last.delta! > 0 ? '+' : ''}${num(last.delta!, 4)} ± ${num(last.delta_se!, 2)}`), 'the page does not show the λ̂ delta with its se');
  assert.ok(figures.at(-1)![2]!.includes(finals.every((v) => v > 0) ? '"type":"log"' : '"type":"symlog"'));

  // A run with only generate and train: its other stages are missing, its numbers null.
  assert.equal((await pipeline(['run', 'generate', 'train', '--run', 'c', ...TINY], root)).code, 0);
  const [partial, html] = await Promise.all([pipeline(['diff', 'a', 'latest', '--json'], root), pipeline(['diff', 'a', 'c', '--out', join(root, 'a-vs-c.html')], root)]);
  assert.equal(partial.code, 0, partial.stderr);
  const p = JSON.parse(partial.stdout) as Facts;
  assert.equal(p.b.run, 'c');
  assert.deepEqual(p.b.missing, ['export', 'sweep', 'estimate', 'calibration']);
  assert.equal(p.metrics.find((m) => m.metric === 'calibration λ̂')!.b, null);
  assert.notEqual(p.metrics.find((m) => m.metric === 'final test MAE, mean over seeds')!.b, null);
  assert.equal(html.code, 0, html.stderr);
  assert.match(readFileSync(join(root, 'a-vs-c.html'), 'utf8'), /export, sweep, estimate, calibration not run/);

  // One clear line for each mistake.
  const [one, nope, help] = await Promise.all([pipeline(['diff', 'a'], root), pipeline(['diff', 'a', 'nope'], root), pipeline(['diff', '--help'], root)]);
  assert.equal(one.code, 2);
  assert.match(one.stderr, /^pipeline diff: name exactly two runs to compare \(got 1\)\n/);
  assert.equal(nope.code, 1);
  assert.equal(nope.stderr, `pipeline diff: error: run nope does not exist under ${root}`);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^pipeline diff <runA> <runB>/);
});
