// A complete run for the report and diff tests: generate, train (two seeds), export,
// estimate, sweep and calibration run through the real CLI on a tiny config with the
// notebook's sampler settings (about 30 s on two cores). The sweep's ε grid is 3e-5, 3e-3,
// 0.3, 30: at ε = 30 every chain diverges within a few draws (the localization term alone
// multiplies w − w₀ by εγ/2 = 75 per step), so the report's and the diff's handling of
// diverged grid points runs on real artifacts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pipeline } from './cli.ts';

export const TINY = [
  'generate.n_samples=300', 'generate.train_frac=0.3', 'train.seeds=[0,1]', 'train.log_checkpoints=0', 'train.dropout=0.1', 'train.batch_size=32', 'train.steps=40', 'train.eval_every=10', 'train.checkpoint_every=10', 'train.backend=wasm',
  'train.d_model=16', 'train.n_heads=2', 'train.d_ff=16', 'train.n_layers=1',
  'estimate.lr=0.001', 'estimate.nbeta=2', 'estimate.localization=5', 'estimate.num_burnin_steps=0', 'estimate.num_steps_bw_draws=1',
  'estimate.num_chains=2', 'estimate.num_draws=10', 'estimate.batch_size=32', 'estimate.device=cpu',
  'sweep.min_epsilon=3e-5', 'sweep.max_epsilon=30', 'sweep.epsilon_samples=4', 'sweep.beta_samples=3', 'sweep.min_nbeta=auto', 'sweep.max_nbeta=auto', 'sweep.localization=5',
  'sweep.num_chains=2', 'sweep.num_draws=10', 'sweep.num_burnin_steps=0', 'sweep.num_steps_bw_draws=1',
  'calibration.lr=0.03', 'calibration.nbeta=2', 'calibration.localization=5', 'calibration.num_draws=20',
].flatMap((s) => ['--set', s]);

/** Runs generate → calibration (everything the report reads) through the CLI; returns the run folder. */
export async function buildRun(root: string, id: string, sets: string[] = []): Promise<string> {
  const r = await pipeline(['run', 'generate', 'train', 'export', 'estimate', 'sweep', 'calibration', '--run', id, ...TINY, ...sets], root);
  assert.equal(r.code, 0, r.stderr);
  return join(root, id);
}
