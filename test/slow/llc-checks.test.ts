// `pipeline llc` as an instrument on a model a user brings (a 4 → 8 → 1 tanh MLP built with
// our graph builder, its data drawn from it): bad chains are named on the terminal and in
// summary.json — a loss explosion from too large a step (on an affine model), a negative λ̂
// away from a minimum,
// a batch larger than the data — while healthy chains record split-R̂, ESS, se and
// stationarity without a warning; data a user is likely to have is converted with a note
// (float64, y [n] against [n, 1]) or refused with the fix (a fixed batch dimension); the
// defaults that differ from devinterp's are named.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlcSummary } from '../../schemas/llc-summary.ts';
import { GraphBuilder, modelOf, tensor } from '../../pipeline/lib/onnx/builder.ts';
import { DataType } from '../../pipeline/lib/onnx/ir.ts';
import { pipeline, tempDir } from '../helpers/cli.ts';
import { mlp, noisy, normalRows, predict, writeCase, type MlpOptions } from '../helpers/llc-models.ts';

const T = { timeout: 300_000 };
const N = 1000;
const TEACHER: MlpOptions = { sizes: [4, 8, 1], seed: 1 };
const HEALTHY = ['--chains', '4', '--nbeta', 'auto', '--lr', '2e-3', '--localization', '10', '--burnin', '200', '--draws', '200', '--thin', '4'];

/** The teacher's data, y = f(x) + noise of sd 0.1, as float32 [n, 4] and [n, 1]. */
async function regression(dir: string) {
  const x = normalRows(N, 4, 2);
  const y = noisy(await predict(mlp(TEACHER), x), 0.1, 9);
  const paths = writeCase(dir, 'reg', mlp(TEACHER), { x: { dtype: 'F32', shape: x.dims, data: x.data as Float32Array }, y: { dtype: 'F32', shape: [N, 1], data: y } });
  return { ...paths, x: x.data as Float32Array, y };
}

async function llc(dir: string, name: string, model: string, data: string, args: string[]) {
  const out = join(dir, `${name}.json`);
  const r = await pipeline(['llc', '--model', model, '--data', data, ...args, '--out', out], dir);
  assert.equal(r.code, 0, r.stderr);
  return { ...r, summary: LlcSummary.parse(JSON.parse(readFileSync(out, 'utf8'))) };
}

/** The warning matching `pattern` is on the terminal and in summary.json, and counted on stdout. */
function warned(run: Awaited<ReturnType<typeof llc>>, pattern: RegExp): void {
  assert.match(run.stderr, new RegExp(`llc: warning: .*${pattern.source}`), run.stderr);
  assert.ok(run.summary.health_warnings.some((w) => pattern.test(w)), run.summary.health_warnings.join('\n'));
  assert.deepEqual(run.summary.health.warnings, run.summary.health_warnings);
  assert.match(run.stdout, /; \d+ health warnings? \(above, and in the summary\)$/m);
}

test('healthy chains: summary.json records split-R̂, ESS, se and stationarity, and no warning', T, async (t) => {
  const dir = tempDir(t);
  const reg = await regression(dir);
  const run = await llc(dir, 'healthy', reg.model, reg.data, HEALTHY);
  const s = run.summary;
  assert.deepEqual(s.health_warnings, [], s.health_warnings.join('\n'));
  assert.doesNotMatch(run.stdout, /health warning/);
  const h = s.health;
  assert.ok(h.r_hat! > 0.9 && h.r_hat! < 1.1, `R̂ ${h.r_hat}`);
  assert.ok(h.ess! > 80 && h.ess! <= 2 * 800, `ESS ${h.ess}`);
  assert.equal(h.nonstationary, false);
  assert.ok(Math.abs(h.first_half_llc! - h.second_half_llc!) < 1, `${h.first_half_llc} → ${h.second_half_llc}`);
  assert.ok(h.loss_to_init! > 1 && h.loss_to_init! < 100, `loss/init ${h.loss_to_init}`);
  assert.equal(h.negative_llc, false);
  // Four independent chains: se is their std over √4 (here from the float32 llc traces).
  assert.ok(Math.abs(s.llc_se! - s.llc_std! / 2) < 1e-4 * s.llc_std!, `se ${s.llc_se}, std ${s.llc_std}`);
  assert.equal(h.llc_se, s.llc_se);
});

test('too large a step: the loss explodes against init_loss, named on the terminal and in summary.json', T, async (t) => {
  // An affine model y = x·W + b under MSE with x ~ N(0, I): each step scales the error in
  // the weights by 1 − ε·nβ (γ = 0), so ε = 0.21 with nβ = 10 grows it 1.1× a step, and the
  // loss climbs by orders of magnitude. At ε = 0.1 the chains are stable but coarse: λ̂ comes
  // out twice the model's λ = d/2 = 2.5 (it is regular). ε = 0.02 is well inside the limit.
  const dir = tempDir(t);
  const x = normalRows(N, 4, 2);
  const model = mlp({ sizes: [4, 1], seed: 1 });
  const lin = writeCase(dir, 'lin', model, { x: { dtype: 'F32', shape: x.dims, data: x.data as Float32Array }, y: { dtype: 'F32', shape: [N, 1], data: noisy(await predict(model, x), 0.1, 9) } });
  const settings = ['--chains', '2', '--draws', '100', '--nbeta', '10', '--localization', '0'];
  const run = await llc(dir, 'explode', lin.model, lin.data, [...settings, '--lr', '0.21']);
  warned(run, /the loss exploded: chain \d averages [0-9.e+]+× init_loss over its last half of draws \(above 100×\), more than 2× its first half/);
  assert.ok(run.summary.health.loss_to_init! > 1e6, `loss/init ${run.summary.health.loss_to_init}`);
  const coarse = await llc(dir, 'coarse', lin.model, lin.data, [...settings, '--lr', '0.1']);
  warned(coarse, /λ̂ = [0-9.]+ is more than 3 standard errors \([0-9.]+\) above d\/2 = 2\.5 for the d = 5 sampled weights/);
  assert.doesNotMatch(coarse.stderr, /exploded/);
  const stable = await llc(dir, 'stable', lin.model, lin.data, [...settings, '--lr', '0.02']);
  assert.doesNotMatch(stable.stderr, /exploded|above d\/2/);
  assert.ok(stable.summary.health.loss_to_init! < 100, `loss/init ${stable.summary.health.loss_to_init}`);
});

test('weights away from a minimum: a negative λ̂ is named on the terminal and in summary.json', T, async (t) => {
  const dir = tempDir(t);
  const reg = await regression(dir);
  const shifted = writeCase(dir, 'shifted', mlp({ ...TEACHER, shift: 1 })).model;
  const run = await llc(dir, 'negative', shifted, reg.data, HEALTHY);
  assert.ok(run.summary.llc_mean! < 0, `λ̂ ${run.summary.llc_mean}`);
  warned(run, /λ̂ = -[0-9.]+ is negative: the chains found lower loss than the checkpoint's own/);
  assert.equal(run.summary.health.negative_llc, true);
});

test('a batch larger than the data: the warning says what happened to nβ and what to pass instead', T, async (t) => {
  const dir = tempDir(t);
  const reg = await regression(dir);
  const run = await llc(dir, 'batch', reg.model, reg.data, [...HEALTHY, '--batch-size', '5000']);
  warned(run, /the batch size 5000 is larger than the data's 1000 rows: every minibatch is the whole dataset, and nβ = auto \(m\/ln m\) was computed from m = 5000, not from the 1000 rows each minibatch holds — use a batch size of at most 1000/);
  assert.ok(Math.abs(run.summary.nbeta - 5000 / Math.log(5000)) < 1e-9);
  // The same settings with a batch that fits say nothing about it.
  const fits = await llc(dir, 'fits', reg.model, reg.data, [...HEALTHY, '--batch-size', '1000']);
  assert.doesNotMatch(fits.stderr, /batch size/);
});

test('float64 data is converted and y [n] against an output [n, 1] reshaped, each with a note; the defaults unlike devinterp\'s are named', T, async (t) => {
  const dir = tempDir(t);
  const reg = await regression(dir);
  const wide = writeCase(dir, 'f64', undefined, { x: { dtype: 'F64', shape: [N, 4], data: Float64Array.from(reg.x) }, y: { dtype: 'F64', shape: [N], data: Float64Array.from(reg.y) } }).data;
  const converted = await llc(dir, 'converted', reg.model, wide, []);
  const notes = [`${wide}: x is F64; converted to float32 (the model's input "x" takes FLOAT)`, `${wide}: y is F64; converted to float32`, 'y [1000] read as [1000,1] to match the output "y" [rows,1]'];
  for (const note of notes) assert.ok(converted.stderr.includes(`llc: note: ${note}\n`), converted.stderr);
  assert.deepEqual(converted.summary.data_notes, notes);
  // The same numbers as the float32 [n, 1] file give the same chains.
  const plain = await llc(dir, 'plain', reg.model, reg.data, []);
  assert.deepEqual(plain.summary.data_notes, []);
  assert.deepEqual(converted.summary.llc_per_chain, plain.summary.llc_per_chain);
  assert.equal(converted.summary.init_loss, plain.summary.init_loss);
  assert.match(plain.stderr, /llc: defaults unlike devinterp's estimate_learning_coeff_with_summary: --lr 0\.001 \(devinterp 0\.01\), --nbeta 2 \(devinterp auto = m\/ln m = 46\.17\), --localization 5 \(devinterp 0\), --chains 1 \(devinterp 10\), --draws 75 \(devinterp 100\); pass the flags to choose/);
  const chosen = await llc(dir, 'chosen', reg.model, reg.data, ['--lr', '0.001', '--nbeta', 'auto', '--localization', '5', '--chains', '2', '--draws', '100']);
  assert.doesNotMatch(chosen.stderr, /defaults unlike devinterp/);
  const help = await pipeline(['llc', '--help'], dir);
  assert.match(help.stdout, /--lr <ε> +SGLD step size \(default 0\.001; devinterp's 0\.01\)/);
  assert.match(help.stdout, /--noise-level <σ> +\(default 1\)\n/);
});

test('a model with a fixed batch size fails before sampling, naming the fix', T, async (t) => {
  const dir = tempDir(t);
  const reg = await regression(dir);
  const fixed = writeCase(dir, 'fixed', mlp({ ...TEACHER, batch: 1 })).model;
  let r = await pipeline(['llc', '--model', fixed, '--data', reg.data, '--out', join(dir, 's.json')], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /fixed\.onnx: the model's input "x" is \[1,4\], its batch dimension fixed at 1, but minibatches of other sizes are fed to it — export it with a dynamic batch axis \(torch\.onnx\.export\(\.\.\., dynamic_axes=\{"x": \{0: "batch"\}\}\)\)/);
  assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('pipeline llc')).length, 1, r.stderr);

  // A dynamic input whose graph still reshapes to one row: onnxruntime's own error, with the fix.
  const g = new GraphBuilder('inner');
  g.input('x', DataType.FLOAT, ['n', 4]);
  const w = g.initializer('w', tensor.float32([4, 1], [0.1, 0.2, 0.3, 0.4]));
  g.op('MatMul', [g.op('Reshape', ['x', g.ints([1, 4])]), w], {}, { outputs: ['y'] });
  g.output('y', DataType.FLOAT, [1, 1]);
  const inner = writeCase(dir, 'inner', modelOf(g.build())).model;
  r = await pipeline(['llc', '--model', inner, '--data', reg.data, '--out', join(dir, 's.json')], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /inner\.onnx: the model fails on the first 2 rows of x \(.+\); a model exported for one fixed batch size must be exported with a dynamic batch axis/);
});
