// `pipeline llc --sampler rmsprop_sgld` against devinterp's SGMCMC.rmsprop_sgld in
// distribution, on the seed fixture (its update is proven equal under the same randomness
// by the replay in llc-cli.test.ts). Its own file, so that the suite runs it beside others.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlcSummary } from '../../schemas/llc-summary.ts';
import { pipeline, tempDir } from '../helpers/cli.ts';
import { FIXTURE } from '../helpers/fixture.ts';

/** Our chains per setting: a quarter of devinterp's 16, which widens the combined se by
 * √(5/2) and quarters the test's time; the update itself is proven equal to devinterp's by
 * the replay. The draws must stay devinterp's: chains start at w₀ without burn-in, so λ̂
 * depends on how many draws it averages. */
const CHAINS = 4;

test('pipeline llc --sampler rmsprop_sgld agrees with devinterp\'s SGMCMC.rmsprop_sgld on the fixture (3 combined standard errors)', { timeout: 600_000 }, async (t) => {
  // devinterp-rmsprop.json: 16 chains × 200 draws pooled over seeds 0–3, two settings.
  const reference = JSON.parse(readFileSync(`${FIXTURE}/devinterp-rmsprop.json`, 'utf8')) as {
    settings: { lr: number; nbeta: number; localization: number; num_draws: number; batch_size: number; llc_mean: number; llc_se: number }[];
  };
  const dir = tempDir(t);
  for (const s of reference.settings) {
    const out = join(dir, `rms-${s.lr}.json`);
    const r = await pipeline(['llc', '--model', `${FIXTURE}/model.onnx`, '--data', `${FIXTURE}/train.safetensors`, '--input', 'tokens', '--output', 'pred', '--sampler', 'rmsprop_sgld', '--lr', String(s.lr), '--nbeta', String(s.nbeta),
      '--localization', String(s.localization), '--chains', String(CHAINS), '--draws', String(s.num_draws), '--batch-size', String(s.batch_size), '--out', out], dir);
    assert.equal(r.code, 0, r.stderr);
    const ours = LlcSummary.parse(JSON.parse(readFileSync(out, 'utf8')));
    assert.equal(ours.sampler, 'rmsprop_sgld');
    assert.deepEqual(ours.diverged, []);
    const se = Math.sqrt((ours.llc_std! / Math.sqrt(ours.num_chains)) ** 2 + s.llc_se ** 2);
    const z = (ours.llc_mean! - s.llc_mean) / se;
    assert.ok(Math.abs(z) <= 3, `ε ${s.lr}, nβ ${s.nbeta}: λ̂ ${ours.llc_mean} vs devinterp ${s.llc_mean}: ${z.toFixed(2)} combined standard errors`);
  }
});
