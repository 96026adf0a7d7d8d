// The train stage through the real CLI: learning, checkpoints, metrics, resume after a kill.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { ROOT, pipeline, tempDir } from '../helpers/cli.ts';

const SMALL = [
  'generate.n_samples=300', 'generate.train_frac=0.3', 'train.seeds=[0]', 'train.log_checkpoints=0', 'train.batch_size=32', 'train.d_model=16', 'train.n_heads=2', 'train.d_ff=16', 'train.n_layers=1',
  'train.eval_every=10', 'train.checkpoint_every=10', 'train.backend=wasm',
].flatMap((s) => ['--set', s]);

test('training lowers the loss and writes checkpoints, metrics and a manifest', async (t) => {
  const dir = tempDir(t);
  const r = await pipeline(['run', 'generate', 'train', '--run', 'a', ...SMALL, '--set', 'train.steps=60'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /tfjs backend: wasm/);
  const stage = join(dir, 'a', 'train');
  const metrics = JSON.parse(readFileSync(join(stage, 'seed-0', 'metrics.json'), 'utf8'));
  assert.equal(metrics.rows.length, 6);
  const first = metrics.rows[0];
  const last = metrics.rows[5];
  assert.ok(last.train_mse < first.train_mse && last.batch_loss < first.batch_loss, `loss did not decrease: ${JSON.stringify([first, last])}`);
  const manifest = JSON.parse(readFileSync(join(stage, 'manifest.json'), 'utf8'));
  assert.equal(manifest.runtime.tfjs_backend, 'wasm');
  assert.deepEqual(Object.keys(manifest.outputs).filter((f) => f.includes('/checkpoints/')), [10, 20, 30, 40, 50, 60].map((s) => `seed-0/checkpoints/step-0000${s}.safetensors`));
  assert.ok(manifest.inputs['generate/train.safetensors']);
  // no tensor leaks between the first evaluation and the end
  assert.equal(manifest.results.per_seed[0].live_tensors.at_end, manifest.results.per_seed[0].live_tensors.at_first_eval);
  assert.deepEqual(manifest.results.per_seed[0].subnormal_values, { weights: 0, adam_m: 0, adam_v: 0 });
  const csv = readFileSync(join(stage, 'seed-0', 'metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'step,batch_loss,train_mse,train_mae,test_mse,test_mae,elapsed_s');
  assert.equal(csv.length, 7);
  // changing a train key reruns train only
  const again = await pipeline(['run', 'train', '--run', 'a', '--set', 'train.lr=0.02'], dir);
  assert.match(again.stderr, /generate: fresh, skipped/);
  assert.match(again.stderr, /train: running \(config train\.lr changed: 0\.001 → 0\.02\)/);
});

const RESUME = [
  // tfjs: 40 steps of ~10 ms leave time to kill after the first checkpoint.
  { engine: 'tfjs', args: [...SMALL, '--set', 'train.steps=40'], last: 'step-000040' },
  // onnxruntime runs the small model so fast that it needs more steps to be caught mid-run.
  { engine: 'onnxruntime', args: [...SMALL, '--set', 'train.backend=auto', '--set', 'train.engine=onnxruntime', '--set', 'train.steps=3000', '--set', 'train.checkpoint_every=500'], last: 'step-003000' },
];

for (const { engine, args, last } of RESUME) {
  test(`${engine}: a killed training resumes from its last checkpoint and ends exactly where an uninterrupted run ends`, async (t) => {
    const dir = tempDir(t);
    const whole = await pipeline(['run', 'generate', 'train', '--run', 'whole', ...args], dir);
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(whole.stderr, new RegExp(`engine: ${engine === 'tfjs' ? 'wasm' : 'onnxruntime-cpu'}`));
    assert.equal((await pipeline(['run', 'generate', '--run', 'cut', ...args], dir)).code, 0);
    const runDir = join(dir, 'cut');
    const child = execa(process.execPath, ['--import', 'tsx', join(ROOT, 'stages/train/main.ts'), '--run-dir', runDir], { cwd: ROOT, reject: false });
    const firstCheckpoint = join(runDir, 'train.partial', 'seed-0', 'optimizer.safetensors');
    while (!existsSync(firstCheckpoint)) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    await child;
    assert.ok(!existsSync(join(runDir, 'train', 'manifest.json')));
    const resumed = await pipeline(['run', 'train', '--run', 'cut'], dir);
    assert.equal(resumed.code, 0, resumed.stderr);
    const from = Number(/resuming at step (\d+) of/.exec(resumed.stderr)?.[1]);
    assert.ok(from > 0 && from < Number(last.slice(5)), `did not resume mid-run: ${resumed.stderr}`);
    const final = (run: string) => readFileSync(join(dir, run, 'train', 'seed-0', 'checkpoints', `${last}.safetensors`));
    assert.deepEqual(final('cut'), final('whole'));
    const rows = (run: string) => JSON.parse(readFileSync(join(dir, run, 'train', 'seed-0', 'metrics.json'), 'utf8')).rows.map((r: { step: number; train_mse: number }) => [r.step, r.train_mse]);
    assert.deepEqual(rows('cut'), rows('whole'));
  });
}
