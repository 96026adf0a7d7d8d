import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, applySets, resolveConfig, validateConfig } from '../pipeline/config.ts';
import { tempDir } from './helpers/cli.ts';

test("the defaults are the learning run's; --preset notebook gives SPEC.md's settings exactly", () => {
  const c = validateConfig({});
  assert.equal(c.generate.n_samples, 2000);
  assert.equal(c.generate.train_frac, 0.015);
  assert.deepEqual(c.train.seeds, [0, 1, 2]);
  assert.equal(c.train.steps, 3000);
  assert.equal(c.train.optimizer, 'adamw');
  assert.equal(c.train.init_gain, 8);
  assert.equal(c.estimate.lr, 'sweep');
  assert.equal(c.estimate.nbeta, 'sweep');

  const n = resolveConfig({}, { preset: 'notebook' });
  assert.equal(n.generate.n_samples, 2000);
  assert.equal(n.generate.train_frac, 0.3);
  assert.deepEqual(n.train.seeds, [0]);
  assert.equal(n.train.steps, 50000);
  assert.equal(n.train.batch_size, 256);
  assert.equal(n.train.lr, 0.01);
  assert.equal(n.train.optimizer, 'adam');
  assert.equal(n.train.weight_decay, 0.1);
  assert.equal(n.train.init_gain, 2);
  assert.equal(n.train.dropout, 0.1);
  assert.equal(n.train.eval_every, 500);
  assert.equal(n.train.checkpoint_every, 500);
  assert.equal(n.estimate.lr, 1e-3);
  assert.equal(n.estimate.nbeta, 2.0);
  assert.equal(n.estimate.localization, 5.0);
  assert.equal(n.estimate.num_chains, 1);
  assert.equal(n.estimate.num_draws, 75);
  assert.equal(n.estimate.num_burnin_steps, 0);
  assert.equal(n.estimate.batch_size, 256);
  assert.equal(n.calibration.lr, 0.03);
  assert.equal(n.calibration.nbeta, 2.0);
  assert.equal(n.calibration.localization, 5.0);
  assert.equal(n.calibration.num_draws, 1500);
  assert.deepEqual([n.sweep.min_epsilon, n.sweep.max_epsilon, n.sweep.epsilon_samples, n.sweep.beta_samples, n.sweep.min_nbeta, n.sweep.max_nbeta], [3e-5, 0.3, 5, 5, 'auto', 'auto']);
  assert.deepEqual([n.sweep.localization, n.sweep.num_chains, n.sweep.num_draws, n.sweep.num_burnin_steps, n.sweep.num_steps_bw_draws], [5, 2, 500, 0, 1]);
});

test('a config written with train.seed (before train.seeds) reads as a list of one', () => {
  assert.deepEqual(validateConfig({ train: { seed: 7 } }).train.seeds, [7]);
  assert.throws(() => resolveConfig({}, { sets: ['train.seeds=[1,1]'] }), /train\.seeds = \[1,1\]: seeds must differ/);
  assert.throws(() => resolveConfig({}, { sets: ['train.seeds=[]'] }), /train\.seeds = \[\]: needs at least one seed/);
});

test('--set parses numbers and strings and rejects unknown keys', () => {
  assert.deepEqual(applySets({}, ['generate.seed=3', 'train.backend=wasm']), { generate: { seed: 3 }, train: { backend: 'wasm' } });
  assert.throws(() => applySets({}, ['generate.sead=3']), /unknown key generate\.sead.*seed/);
  assert.throws(() => applySets({}, ['gen.seed=3']), /unknown section "gen"/);
  assert.throws(() => applySets({}, ['seed=3']), /expected section\.key=value/);
});

test('bad values name the key, the value and what is allowed', () => {
  const bad = (sets: string[]) => {
    try {
      resolveConfig({}, { sets });
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.message;
    }
    assert.fail('no error');
  };
  assert.match(bad(['generate.seed=abc']), /generate\.seed = "abc".*allowed: integer in \[0, 2\^32-1\]/);
  assert.match(bad(['train.lr=-1']), /train\.lr = -1.*allowed: number > 0/);
  assert.match(bad(['generate.train_frac=1.5']), /generate\.train_frac = 1\.5/);
  assert.match(bad(['train.backend=gpu']), /train\.backend = "gpu".*one of auto/);
  assert.match(bad(['train.n_heads=5']), /train\.d_model.*divisible by train\.n_heads/);
  assert.match(bad(['train.batch_size=700']), /train\.batch_size.*larger than the 30 training samples/);
  assert.match(bad(['estimate.lr=fast']), /estimate\.lr = "fast".*'sweep' for the sweep's recommended ε/);
});

test('config files (JSON and YAML) apply over the base, then --set', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'c.yaml'), 'train:\n  steps: 100\n  lr: 0.02\n');
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ generate: { seed: 9 } }));
  const c = resolveConfig({ train: { steps: 5 } }, { file: join(dir, 'c.yaml'), sets: ['train.lr=0.5'] });
  assert.equal(c.train.steps, 100);
  assert.equal(c.train.lr, 0.5);
  assert.equal(resolveConfig({}, { file: join(dir, 'c.json') }).generate.seed, 9);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ trian: { steps: 1 } }));
  assert.throws(() => resolveConfig({}, { file: join(dir, 'bad.json') }), /trian: unknown key/);
  writeFileSync(join(dir, 'broken.json'), '{');
  assert.throws(() => resolveConfig({}, { file: join(dir, 'broken.json') }), /broken\.json is not valid/);
});

test('presets apply before --config and --set; an unknown preset is named', () => {
  const c = resolveConfig({}, { preset: 'smoke', sets: ['train.steps=7'] });
  assert.equal(c.train.steps, 7);
  assert.equal(c.train.log_checkpoints, 6);
  assert.equal(resolveConfig({}, { preset: 'smoke' }).train.steps, 600);
  assert.throws(() => resolveConfig({}, { preset: 'quick' }), /--preset quick: no such preset \(presets: notebook, smoke\)/);
});

test("a preset applied to an existing run fills in what still holds the default and keeps what an earlier --set chose, saying so", () => {
  // The run's saved config after `pipeline run … --set estimate.num_draws=200`.
  const saved = resolveConfig({}, { sets: ['estimate.num_draws=200'] });
  const notes: string[] = [];
  const c = resolveConfig(saved, { preset: 'smoke' }, (m) => notes.push(m));
  assert.equal(c.estimate.num_draws, 200);
  assert.equal(c.train.steps, 600);
  assert.equal(c.estimate.num_chains, 2);
  assert.deepEqual(notes, ['--preset smoke leaves estimate.num_draws = 200, set earlier in this run, in place of its 30 (--set estimate.num_draws=… changes it)']);
  // --config and --set still override the saved value.
  assert.equal(resolveConfig(saved, { preset: 'smoke', sets: ['estimate.num_draws=40'] }).estimate.num_draws, 40);
});
