// `pipeline llc --loss ce`: cross-entropy over the output's last axis against integer class
// or token indices, on a classifier and a tiny language model built with our graph
// builder; the loss against torch's cross_entropy, λ̂ of softmax regression against its
// known learning coefficient, the data errors, and `--format devinterp`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlcSummary } from '../../schemas/llc-summary.ts';
import { decodeSafetensors } from '../../pipeline/lib/util/safetensors.ts';
import { pipeline, tempDir } from '../helpers/cli.ts';
import { crossEntropy, mlp, normalRows, predict, randomTokens, sampleClasses, tokenModel, writeCase } from '../helpers/llc-models.ts';

const T = { timeout: 300_000 };

/** A 4 → 8 → 3 tanh classifier and 1000 rows whose labels it draws itself. */
async function classifier(dir: string, n = 1000) {
  const model = mlp({ sizes: [4, 8, 3], seed: 1 });
  const x = normalRows(n, 4, 2);
  const logits = await predict(model, x);
  const y = sampleClasses(logits, 3);
  const paths = writeCase(dir, 'clf', model, { x: { dtype: 'F32', shape: x.dims, data: x.data as Float32Array }, y: { dtype: 'I64', shape: [n], data: y } });
  return { ...paths, x, y, logits };
}

const summaryOf = (path: string) => LlcSummary.parse(JSON.parse(readFileSync(path, 'utf8')));

test('pipeline llc --loss ce on a small classifier: init_loss is torch\'s cross_entropy, λ̂ finite and positive, health recorded', T, async (t) => {
  const dir = tempDir(t);
  const c = await classifier(dir);
  // Full batch: init_loss is the loss of all rows at w₀.
  const full = join(dir, 'full.json');
  let r = await pipeline(['llc', '--model', c.model, '--data', c.data, '--loss', 'ce', '--batch-size', '1000', '--draws', '2', '--out', full], dir);
  assert.equal(r.code, 0, r.stderr);
  const expected = crossEntropy(c.logits, c.y);
  assert.ok(Math.abs(summaryOf(full).init_loss - expected) <= 1e-5 * expected, `init_loss ${summaryOf(full).init_loss}, cross_entropy ${expected}`);

  const out = join(dir, 'summary.json');
  r = await pipeline(['llc', '--model', c.model, '--data', c.data, '--loss', 'ce', '--chains', '4', '--draws', '200', '--burnin', '100', '--lr', '1e-3', '--nbeta', 'auto', '--localization', '10', '--out', out], dir);
  assert.equal(r.code, 0, r.stderr);
  const s = summaryOf(out);
  assert.equal(s.loss, 'ce');
  assert.equal(s.classes, 3);
  assert.deepEqual(s.diverged, []);
  assert.ok(s.llc_mean !== null && s.llc_mean > 0 && s.llc_mean < s.weight_count / 2, `λ̂ ${s.llc_mean} of ${s.weight_count} weights`);
  assert.ok(s.llc_se !== null && s.llc_se > 0 && s.llc_se < s.llc_mean, `se ${s.llc_se}`);
  assert.ok(s.health.r_hat !== null && s.health.ess !== null && s.health.first_half_llc !== null, JSON.stringify(s.health));
  assert.match(r.stdout, new RegExp(`^λ̂ = [0-9.]+ ± [0-9.]+ \\(std over chains\\), se ${s.llc_se.toPrecision(2).replace('.', '\\.')},`));
});

test('pipeline llc --loss ce: softmax regression gives its learning coefficient (V−1)(p+1)/2, not d/2', T, async (t) => {
  // logits = x·W + b, W [4, 3]: adding one vector to every class's weights changes no
  // probability, so of its d = 15 weights only (3−1)(4+1) = 10 count and λ = 5. The teacher's
  // weights miss the empirical minimum by (nβ/n)·λ ≈ 0.06 in λ̂ (n = 16000, nβ = 200), and 8
  // batches of 2000 make init_loss the loss of all rows, free of minibatch noise.
  const dir = tempDir(t);
  const model = mlp({ sizes: [4, 3], seed: 4 });
  const n = 16000;
  const x = normalRows(n, 4, 2);
  const y = sampleClasses(await predict(model, x), 3);
  const c = writeCase(dir, 'softmax', model, { x: { dtype: 'F32', shape: x.dims, data: x.data as Float32Array }, y: { dtype: 'I64', shape: [n], data: y } });
  const out = join(dir, 'summary.json');
  const r = await pipeline(['llc', '--model', c.model, '--data', c.data, '--loss', 'ce', '--chains', '8', '--draws', '500', '--burnin', '500', '--lr', '1e-3', '--nbeta', '200', '--localization', '0.1', '--batch-size', '2000', '--out', out], dir);
  assert.equal(r.code, 0, r.stderr);
  const s = summaryOf(out);
  assert.equal(s.weight_count, 15);
  assert.ok(Math.abs(s.llc_mean! - 5) <= 3 * s.llc_se!, `λ̂ ${s.llc_mean} ± ${s.llc_se} (se), expected 5`);
});

test('pipeline llc --loss ce on a tiny token model: logits [n, T, V] against tokens [n, T], the mean over every position', T, async (t) => {
  const dir = tempDir(t);
  const [n, len, vocab] = [400, 8, 6];
  const model = tokenModel(vocab, 4, 5);
  const tokens = randomTokens(n, len, vocab, 6);
  const logits = await predict(model, tokens);
  assert.deepEqual(logits.dims, [n, len, vocab]);
  const y = sampleClasses(logits, 7);
  const c = writeCase(dir, 'tok', model, { x: { dtype: 'I64', shape: [n, len], data: tokens.data as BigInt64Array }, y: { dtype: 'I64', shape: [n, len], data: y } });

  const full = join(dir, 'full.json');
  let r = await pipeline(['llc', '--model', c.model, '--data', c.data, '--loss', 'ce', '--batch-size', String(n), '--draws', '2', '--out', full], dir);
  assert.equal(r.code, 0, r.stderr);
  const expected = crossEntropy(logits, y);
  assert.ok(Math.abs(summaryOf(full).init_loss - expected) <= 1e-5 * expected, `init_loss ${summaryOf(full).init_loss}, cross_entropy ${expected}`);

  const out = join(dir, 'summary.json');
  r = await pipeline(['llc', '--model', c.model, '--data', c.data, '--loss', 'ce', '--chains', '4', '--draws', '200', '--burnin', '100', '--lr', '1e-3', '--nbeta', 'auto', '--localization', '10', '--out', out], dir);
  assert.equal(r.code, 0, r.stderr);
  const s = summaryOf(out);
  assert.equal(s.classes, vocab);
  assert.deepEqual(s.weights.map((w) => w.name), ['embed', 'unembed']);
  assert.ok(s.llc_mean !== null && s.llc_mean > 0 && s.llc_mean < s.weight_count / 2, `λ̂ ${s.llc_mean}`);
});

test('pipeline llc --loss ce: targets that cannot be class indices fail with one line naming the value', T, async (t) => {
  const dir = tempDir(t);
  const c = await classifier(dir, 20);
  const x = { dtype: 'F32' as const, shape: c.x.dims, data: c.x.data as Float32Array };
  const run = (data: string, loss = 'ce') => pipeline(['llc', '--model', c.model, '--data', data, '--loss', loss, '--out', join(dir, 's.json')], dir);
  const oneLine = (s: string) => s.trim().split('\n').filter((l) => l.startsWith('pipeline llc')).length === 1;

  let r = await run(writeCase(dir, 'float-y', undefined, { x, y: { dtype: 'F32', shape: [20], data: new Float32Array(20) } }).data);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /y is F32, but --loss ce takes integer class indices \(I64 or I32\)/);
  assert.ok(oneLine(r.stderr), r.stderr);

  const labels = (v: number, at: number) => BigInt64Array.from({ length: 20 }, (_, i) => BigInt(i === at ? v : 0));
  r = await run(writeCase(dir, 'class-3', undefined, { x, y: { dtype: 'I64', shape: [20], data: labels(3, 7) } }).data);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /y holds class 3 at row 7, but the output "y" has 3 classes on its last axis, so class indices run from 0 to 2/);
  r = await run(writeCase(dir, 'ignore', undefined, { x, y: { dtype: 'I64', shape: [20], data: labels(-100, 2) } }).data);
  assert.match(r.stderr, /y holds class -100 at row 2.*ignore_index −100 is not supported/);

  r = await run(writeCase(dir, 'per-row-2', undefined, { x, y: { dtype: 'I64', shape: [20, 2], data: new BigInt64Array(40) } }).data);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /output "y" has shape \[2,3\] \(logits of 3 classes\), but y has rows of shape \[2\] \(expected class indices of shape \[2\]\)/);

  // int32 class indices are widened; [n, 1] against logits [n, 3] is [n].
  const out = join(dir, 's.json');
  r = await pipeline(['llc', '--model', c.model, '--data', writeCase(dir, 'i32', undefined, { x, y: { dtype: 'I32', shape: [20, 1], data: new Int32Array(20).fill(1) } }).data, '--loss', 'ce', '--draws', '3', '--out', out], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /llc: note: y \[20,1\] read as \[20\] to match the output "y" \[rows,3\]/);
  assert.deepEqual(summaryOf(out).data_notes, ['y [20,1] read as [20] to match the output "y" [rows,3]']);

  r = await run(writeCase(dir, 'int-y', undefined, { x, y: { dtype: 'I64', shape: [20], data: new BigInt64Array(20) } }).data, 'mse');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /y is I64, but --loss mse compares float targets \(F32 or F64\); integer class indices need --loss ce/);

  r = await run(c.data, 'nll');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--loss nll: expected one of mse, ce/);
});

test('pipeline llc --format devinterp writes the keys of devinterp\'s estimate_learning_coeff_with_summary', T, async (t) => {
  const dir = tempDir(t);
  const c = await classifier(dir, 200);
  const settings = ['--model', c.model, '--data', c.data, '--loss', 'ce', '--chains', '3', '--draws', '20', '--batch-size', '50', '--nbeta', 'auto'];
  const ours = join(dir, 'ours.json');
  const theirs = join(dir, 'theirs.json');
  assert.equal((await pipeline(['llc', ...settings, '--out', ours], dir)).code, 0);
  const r = await pipeline(['llc', ...settings, '--format', 'devinterp', '--out', theirs], dir);
  assert.equal(r.code, 0, r.stderr);
  const d = JSON.parse(readFileSync(theirs, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(d).sort(), ['init_loss', 'llc-chain/0', 'llc-chain/1', 'llc-chain/2', 'llc/mean', 'llc/means', 'llc/std', 'llc/stds', 'llc/trace', 'loss/trace']);
  const s = summaryOf(ours);
  // Same seed, same run: devinterp's keys hold our numbers.
  assert.equal(d['llc/mean'], s.llc_mean);
  assert.equal(d['llc/std'], s.llc_std);
  assert.equal(d.init_loss, s.init_loss);
  s.llc_per_chain.forEach((v, i) => assert.equal(d[`llc-chain/${i}`], v));
  const { tensors } = decodeSafetensors(readFileSync(join(dir, 'theirs.trace.safetensors')));
  const loss = d['loss/trace'] as number[][];
  const llc = d['llc/trace'] as number[][];
  assert.deepEqual([loss.length, loss[0]!.length, llc.length, llc[0]!.length], [3, 20, 3, 20]);
  assert.deepEqual(loss.flat(), Array.from(tensors.loss!.data as Float32Array));
  assert.deepEqual(llc.flat(), Array.from(tensors.llc!.data as Float32Array));
  assert.deepEqual(d['llc/means'], Array.from(tensors.llc_mean!.data as Float32Array));
  // LLCEstimator's llc/mean is the mean of its llc-chain/i.
  const perChain = [0, 1, 2].map((i) => d[`llc-chain/${i}`] as number);
  assert.ok(Math.abs((d['llc/mean'] as number) - perChain.reduce((a, b) => a + b) / 3) < 1e-9);
});
