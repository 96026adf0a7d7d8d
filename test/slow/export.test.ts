// The export stage and `pipeline export --from-state-dict`, with real onnxruntime sessions.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { maxAbsDiff, ortPredict } from '../../stages/export/onnx-model.ts';
import { decodeSafetensors } from '../../pipeline/lib/util/safetensors.ts';
import { pipeline, tempDir } from '../helpers/cli.ts';
import { FIXTURE } from '../helpers/fixture.ts';

const fixture = (name: string) => join(FIXTURE, name);

test('the export stage writes one ONNX model per checkpoint and records its parity with tfjs', async (t) => {
  const dir = tempDir(t);
  const sets = ['generate.n_samples=300', 'generate.train_frac=0.3', 'train.seeds=[0]', 'train.log_checkpoints=0', 'train.dropout=0.1', 'train.init_gain=2', 'train.batch_size=32', 'train.steps=20', 'train.eval_every=10', 'train.checkpoint_every=10', 'train.backend=wasm'];
  const r = await pipeline(['run', 'generate', 'train', 'export', '--run', 'e', ...sets.flatMap((s) => ['--set', s])], dir);
  assert.equal(r.code, 0, r.stderr);
  const manifest = JSON.parse(readFileSync(join(dir, 'e', 'export', 'manifest.json'), 'utf8'));
  assert.deepEqual(Object.keys(manifest.outputs).filter((f) => f.endsWith('.onnx')), ['seed-0/models/step-000010.onnx', 'seed-0/models/step-000020.onnx']);
  assert.ok(manifest.results.max_parity_diff <= 1e-5, `parity ${manifest.results.max_parity_diff}`);
  assert.equal(manifest.results.models, 2);
  assert.ok(manifest.inputs['train/seed-0/checkpoints/step-000020.safetensors']);
  // the exported model is the checkpoint: onnxruntime runs it on the test split
  const { tensors } = decodeSafetensors(readFileSync(join(dir, 'e', 'generate', 'test.safetensors')));
  const tokens = tensors.tokens!;
  const pred = await ortPredict(readFileSync(join(dir, 'e', 'export', 'seed-0', 'models', 'step-000020.onnx')), tokens.data as BigInt64Array, tokens.shape[0]!, tokens.shape[1]!);
  assert.equal(pred.length, tokens.shape[0]! * tokens.shape[1]!);
  assert.ok(pred.every((p) => p >= 0 && p <= 1));
});

test('PyTorch parity: a notebook state_dict exported by `pipeline export` reproduces PyTorch predictions', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'm.onnx');
  const r = await pipeline(['export', '--from-state-dict', fixture('weights.safetensors'), '--out', out], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /d_model 64, 4 heads, 2 layers, d_ff 48/);
  const { tensors } = decodeSafetensors(readFileSync(fixture('predictions.safetensors')));
  const x = tensors.x!;
  const ours = await ortPredict(readFileSync(out), x.data as BigInt64Array, x.shape[0]!, x.shape[1]!);
  const diff = maxAbsDiff(ours, tensors.pred!.data as Float32Array);
  assert.ok(diff <= 1e-5, `max |ours − PyTorch| = ${diff}`);
});

test('`pipeline export` refuses a file that is not a state_dict of the model, writing nothing', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'bad.onnx');
  const r = await pipeline(['export', '--from-state-dict', fixture('train.safetensors'), '--out', out], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /train\.safetensors: no tensor "embedding\.weight" \(it holds: x, y\)/);
  assert.ok(!existsSync(out));
  const usage = await pipeline(['export', '--out', out], dir);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--from-state-dict and --out are both required/);
  const heads = await pipeline(['export', '--from-state-dict', fixture('weights.safetensors'), '--out', out, '--heads', '5'], dir);
  assert.match(heads.stderr, /d_model 64 is not divisible by --heads 5/);
  assert.ok(!existsSync(out));
});
