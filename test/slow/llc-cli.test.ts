// `pipeline llc` end to end on the PyTorch-exported fixture model, and its one-line errors.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlcSummary } from '../../schemas/llc-summary.ts';
import { decodeSafetensors, encodeSafetensors } from '../../pipeline/lib/util/safetensors.ts';
import { GraphBuilder, modelOf, tensor } from '../../pipeline/lib/onnx/builder.ts';
import { DataType, type TensorValue } from '../../pipeline/lib/onnx/ir.ts';
import { writeModelFile } from '../../pipeline/lib/onnx/io.ts';
import { normalCrossing } from '../../pipeline/lib/sgld/known-lambda.ts';
import { ROOT, pipeline, tempDir } from '../helpers/cli.ts';
import { FIXTURE } from '../helpers/fixture.ts';

const T = { timeout: 120_000 };
const TORCH_EXPORTS = (path: string) => join(ROOT, 'test/fixtures/torch-exports', path);
const MODEL = `${FIXTURE}/model.onnx`;
const DATA = `${FIXTURE}/train.safetensors`;

test('pipeline llc on the fixture writes a summary and its trace', T, async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'summary.json');
  const r = await pipeline(['llc', '--model', MODEL, '--data', DATA, '--input', 'tokens', '--output', 'pred', '--chains', '2', '--draws', '6', '--burnin', '2', '--thin', '2', '--lr', '1e-3', '--nbeta', 'auto', '--out', out], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^λ̂ = /);
  const summary = LlcSummary.parse(JSON.parse(readFileSync(out, 'utf8')));
  assert.equal(summary.num_chains, 2);
  assert.equal(summary.num_draws, 6);
  assert.ok(Math.abs(summary.nbeta - 256 / Math.log(256)) < 1e-9);
  assert.equal(summary.llc_per_chain.length, 2);
  assert.ok(summary.init_loss > 0 && summary.init_loss < 0.1, `init_loss ${summary.init_loss}`);
  assert.deepEqual(summary.diverged, []);
  assert.equal(summary.trace, 'summary.trace.safetensors');
  const { tensors } = decodeSafetensors(readFileSync(join(dir, summary.trace)));
  assert.deepEqual(tensors.loss!.shape, [2, 6]);
  assert.deepEqual(tensors.llc!.shape, [2, 6]);
  assert.deepEqual(tensors.llc_mean!.shape, [6]);
  const llc = tensors.llc!.data as Float32Array;
  const perChain = [0, 1].map((c) => llc.subarray(c * 6, c * 6 + 6).reduce((a, b) => a + b, 0) / 6);
  perChain.forEach((v, c) => assert.ok(Math.abs(v - summary.llc_per_chain[c]!) < 1e-5, 'λ̂ per chain is the mean of its llc trace'));
});

// devinterp-replay.json: devinterp 1.3.2 run on the noise and minibatch rows that its
// `command` draws here (written by --randomness, fed to devinterp by
// bench/devinterp/devinterp_llc.py). A change to either stream must redo that replay, not
// widen this. The seed transformer (SGLD and RMSProp-SGLD), and an MLP through LayerNorm
// and Erf-GELU.
const REPLAYS: { name: string; file: string; files: Record<string, string> }[] = [
  { name: 'the seed transformer', file: `${FIXTURE}/devinterp-replay.json`, files: { 'model.onnx': MODEL, 'train.safetensors': DATA } },
  { name: 'the seed transformer with RMSProp-SGLD', file: `${FIXTURE}/devinterp-replay-rmsprop.json`, files: { 'model.onnx': MODEL, 'train.safetensors': DATA } },
  { name: 'the GELU MLP', file: TORCH_EXPORTS('gelu-mlp/devinterp-replay.json'), files: { 'model.onnx': TORCH_EXPORTS('gelu-mlp/model.onnx'), 'data.safetensors': TORCH_EXPORTS('gelu-mlp/data.safetensors') } },
];
for (const replayCase of REPLAYS) {
  test(`pipeline llc replays devinterp on ${replayCase.name}: the same noise and minibatches give devinterp's per-chain λ̂`, T, async (t) => {
    const replay = JSON.parse(readFileSync(replayCase.file, 'utf8')) as { command: string; init_loss: number; llc_per_chain: number[] };
    const dir = tempDir(t);
    const out = join(dir, 'summary.json');
    const args = replay.command.split(' ').slice(2).map((a) => replayCase.files[a] ?? a);
    const r = await pipeline(['llc', ...args, '--out', out, '--randomness', join(dir, 'randomness.safetensors')], dir);
    assert.equal(r.code, 0, r.stderr);
    const summary = LlcSummary.parse(JSON.parse(readFileSync(out, 'utf8')));
    assert.ok(Math.abs(summary.init_loss - replay.init_loss) <= 1e-6 * replay.init_loss, `init_loss ${summary.init_loss} vs devinterp ${replay.init_loss}`);
    assert.equal(summary.llc_per_chain.length, replay.llc_per_chain.length);
    summary.llc_per_chain.forEach((v, c) => {
      const theirs = replay.llc_per_chain[c]!;
      assert.ok(v !== null && Math.abs(v - theirs) <= 1e-4 * Math.abs(theirs), `chain ${c}: λ̂ ${v} vs devinterp ${theirs}`);
    });
    // --randomness holds every step of every chain (the replay was made from such a file).
    const { tensors } = decodeSafetensors(readFileSync(join(dir, 'randomness.safetensors')));
    const steps = summary.num_burnin_steps + summary.num_draws * summary.num_steps_bw_draws;
    for (let c = 0; c < summary.num_chains; c++) {
      assert.deepEqual(tensors[`chain${c}/noise`]!.shape, [steps, summary.weight_count]);
      const sizes = tensors[`chain${c}/sizes`]!;
      assert.deepEqual(sizes.shape, [steps]);
      assert.equal(tensors[`chain${c}/rows`]!.shape[0], Number((sizes.data as BigInt64Array).reduce((a, b) => a + b, 0n)));
    }
  });
}

test('pipeline llc: bad flags, missing tensors, mismatched shapes fail with one line', T, async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'summary.json');
  const run = (args: string[]) => pipeline(['llc', '--out', out, ...args], dir);
  const oneLine = (s: string) => s.trim().split('\n').filter((l) => l.startsWith('pipeline llc')).length === 1;

  let r = await run(['--model', MODEL, '--data', DATA, '--lr=-1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--lr -1: expected number > 0/);

  const noY = join(dir, 'no-y.safetensors');
  writeFileSync(noY, encodeSafetensors({ x: decodeSafetensors(readFileSync(DATA)).tensors.x! }));
  r = await run(['--model', MODEL, '--data', noY]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no tensor "y" \(it holds: x\)/);
  assert.ok(oneLine(r.stderr), r.stderr);

  const { tensors } = decodeSafetensors(readFileSync(DATA));
  const wideY = join(dir, 'wide-y.safetensors');
  writeFileSync(wideY, encodeSafetensors({ x: tensors.x!, y: { dtype: 'F32', shape: [600, 5, 2], data: tensors.y!.data } }));
  r = await run(['--model', MODEL, '--data', wideY]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /output "pred" has shape \[2,10\], but y has rows of shape \[5,2\]/);
  assert.ok(oneLine(r.stderr), r.stderr);

  const fewY = join(dir, 'few-y.safetensors');
  writeFileSync(fewY, encodeSafetensors({ x: tensors.x!, y: { dtype: 'F32', shape: [300, 10], data: (tensors.y!.data as Float32Array).slice(0, 3000) } }));
  r = await run(['--model', MODEL, '--data', fewY]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /x \[600,10\] and y \[300,10\] must hold the same number of rows/);

  const shortX = join(dir, 'short-x.safetensors');
  writeFileSync(shortX, encodeSafetensors({ x: { dtype: 'I64', shape: [600, 5], data: (tensors.x!.data as BigInt64Array).slice(0, 3000) }, y: tensors.y! }));
  r = await run(['--model', MODEL, '--data', shortX]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /x rows have shape \[5\], but the model's input "tokens" is \[batch,10\]/);

  r = await run(['--model', MODEL, '--data', DATA, '--input', 'nope']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no input "nope" \(its inputs: tokens\)/);
});

/** y = op(x · w) with one float weight (or none), x and y float [n, 1]. */
function tinyModel(path: string, op: string, withWeight: boolean): void {
  const g = new GraphBuilder('tiny');
  g.input('x', DataType.FLOAT, ['n', 1]);
  const w = withWeight ? g.initializer('w', tensor.float32([1], [0.5])) : g.constant(tensor.float32([1], [0.5]));
  g.op(op, [g.op('Mul', ['x', w])], {}, { outputs: ['y'] });
  g.output('y', DataType.FLOAT, ['n', 1]);
  writeModelFile(path, modelOf(g.build()));
}

test('pipeline llc: a model without float initializers or with an op without a gradient rule', T, async (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'd.safetensors');
  writeFileSync(data, encodeSafetensors({ x: { dtype: 'F32', shape: [4, 1], data: Float32Array.of(1, 2, 3, 4) }, y: { dtype: 'F32', shape: [4, 1], data: Float32Array.of(0, 1, 0, 1) } }));
  const none = join(dir, 'none.onnx');
  tinyModel(none, 'Relu', false);
  let r = await pipeline(['llc', '--model', none, '--data', data, '--out', join(dir, 's.json')], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no float initializers/);

  // Atan: an op no rule covers (Sin, used here before, has one now).
  const atan = join(dir, 'atan.onnx');
  tinyModel(atan, 'Atan', true);
  r = await pipeline(['llc', '--model', atan, '--data', data, '--out', join(dir, 's.json')], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no gradient rule for op type Atan \(node "[^"]*Atan[^"]*"\)/);
  assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('pipeline llc')).length, 1, r.stderr);
});

test('pipeline llc samples a model\'s weights, not its buffers: y = x·Π wᵢ^pᵢ at w = 0 gives λ̂ near 1/(2·max p)', T, async (t) => {
  // The normal crossing of pipeline/lib/sgld/known-lambda.ts, its exponents p = (1, 2) a buffer:
  // sampling p diverges at the first step (∂wᵖ/∂p = wᵖ·ln w is NaN at 0), as devinterp never
  // does. nβ = n is β = 1, and λ̂ estimates λ = 1/(2·2) = 1/4.
  const dir = tempDir(t);
  const n = 2000;
  const known = normalCrossing([1, 2], n, 1);
  const model = join(dir, 'poly.onnx');
  writeModelFile(model, known.model);
  const data = join(dir, 'poly.safetensors');
  const f32 = (v: TensorValue) => ({ dtype: 'F32' as const, shape: v.dims, data: v.data as Float32Array });
  writeFileSync(data, encodeSafetensors({ x: f32(known.x), y: f32(known.y) }));
  const out = join(dir, 'summary.json');
  const settings = ['--lr', '1e-3', '--nbeta', String(n), '--batch-size', String(n), '--localization', '0'];

  const r = await pipeline(['llc', '--model', model, '--data', data, '--out', out, '--chains', '8', '--draws', '1000', '--burnin', '200', ...settings], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /llc: kept constant p \[2\]: the output does not depend on it differentiably \(read as Pow input 1\)/);
  const s = LlcSummary.parse(JSON.parse(readFileSync(out, 'utf8')));
  assert.deepEqual(s.weights, [{ name: 'w', shape: [2] }]);
  assert.equal(s.weight_count, 2);
  assert.deepEqual(s.constants.map((c) => c.name), ['p']);
  assert.deepEqual(s.diverged, []);
  const se = s.llc_std! / Math.sqrt(8);
  assert.ok(Math.abs(s.llc_mean! - 0.25) <= 3 * se, `λ̂ ${s.llc_mean} ± ${se} (se), expected 1/4`);

  const all = await pipeline(['llc', '--model', model, '--data', data, '--out', out, '--chains', '2', '--draws', '5', '--params', '*', ...settings], dir);
  assert.equal(all.code, 1, 'sampling the exponents too should diverge');
  assert.match(all.stderr, /chain 0 diverged at draw 1 \(SGLD step 1\)/);
});
