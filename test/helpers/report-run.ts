// A complete run for the report and diff tests: generate, train, export, estimate, sweep
// and calibration run through the real CLI on a tiny config (about 20 s on two cores). The
// sweep's ε grid is 3e-5, 3e-3, 0.3, 30: at ε = 30 every chain diverges within a few
// draws (the localization term alone multiplies w − w₀ by εγ/2 = 75 per step), so the
// report's and the diff's handling of diverged grid points runs on real artifacts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pipeline } from './cli.ts';

export const TINY = [
  'generate.n_samples=300', 'train.batch_size=32', 'train.steps=40', 'train.eval_every=10', 'train.checkpoint_every=10', 'train.backend=wasm',
  'train.d_model=16', 'train.n_heads=2', 'train.d_ff=16', 'train.n_layers=1',
  'estimate.num_chains=2', 'estimate.num_draws=10', 'estimate.batch_size=32', 'estimate.device=cpu',
  'sweep.max_epsilon=30', 'sweep.epsilon_samples=4', 'sweep.beta_samples=3', 'sweep.num_chains=2', 'sweep.num_draws=10',
  'calibration.num_draws=20',
].flatMap((s) => ['--set', s]);

/** Runs generate → calibration (everything the report reads) through the CLI; returns the run folder. */
export async function buildRun(root: string, id: string, sets: string[] = []): Promise<string> {
  const r = await pipeline(['run', 'generate', 'train', 'export', 'estimate', 'sweep', 'calibration', '--run', id, ...TINY, ...sets], root);
  assert.equal(r.code, 0, r.stderr);
  return join(root, id);
}
