// The sweep's recommended point (stages/sweep/recommend.ts) on grids whose health is set
// by hand: the largest ε whose healthy λ̂ agrees with the next smaller ε's, ties broken
// towards nβ₀, and an honest "none" naming why. (The report test sees it on a real sweep.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EstimateHealth } from '../schemas/health.ts';
import { MALA_ACCEPTANCE_LIMIT, R_HAT_LIMIT, WANDER_LIMIT } from '../pipeline/lib/health/estimate-health.ts';
import { PLATEAU_RELATIVE, RULE, recommend, type GridPoint } from '../stages/sweep/recommend.ts';

const EPS = [1e-4, 1e-3, 1e-2];
const NBETA = [1, 10];

function health(over: Partial<EstimateHealth> = {}): EstimateHealth {
  return { label: 'p', chains: 2, draws: 100, r_hat: 1.01, ess: 150, llc_se: 0.05, llc_mean: 1, negative_llc: false, diverged_chains: 0, first_half_llc: 1, second_half_llc: 1, nonstationary: false, noise_to_weight_rms: 0.1, mala_acceptance: 0.95, final_distance: 1, warnings: [], ...over };
}

/** The 3 × 2 grid with λ̂ = llc[i][j] (null: diverged) and health overrides per point. */
function grid(llc: (number | null)[][], over: Record<string, Partial<EstimateHealth>> = {}) {
  const points: GridPoint[] = EPS.flatMap((epsilon, i) => NBETA.map((nbeta, j) => ({ i, j, epsilon, nbeta, llc_mean: llc[i]![j]!, llc_se: 0.05 })));
  const hs = points.map((p) => health({ llc_mean: p.llc_mean, ...(p.llc_mean === null ? { diverged_chains: 2 } : {}), ...over[`${p.i},${p.j}`] }));
  return recommend(points, hs, 2, 8);
}

test('the largest ε whose healthy λ̂ agrees with the next smaller ε is recommended; ties go to the nβ nearest nβ₀', () => {
  // nβ = 1: flat from ε 1e-4 to 1e-3, diverged at 1e-2. nβ = 10: still rising at 1e-3, flat to 1e-2.
  const r = grid([[1, 1], [1.1, 2], [null, 2.1]]);
  assert.deepEqual(r.recommendation.point, { i: 2, j: 1 });
  assert.deepEqual(r.judged.map((j) => j.plateau), [null, null, true, false, null, true]);
  assert.deepEqual(r.judged[4]!.problems, ['2 of 2 chains diverged', 'no λ̂']);
  assert.match(r.recommendation.verdict, /^Recommended: ε = 0\.01, nβ = 10, λ̂ = 2\.1 ± 0\.05 \(se over 2 chains\)\. .* agrees with that at ε = 0\.001 \(λ̂ = 2 ± 0\.05/);
  assert.equal(r.recommendation.rule, RULE);
  assert.ok(RULE.includes(`split-R̂ ≤ ${R_HAT_LIMIT}`) && RULE.includes(`${WANDER_LIMIT}× the localization radius`) && RULE.includes(`${PLATEAU_RELATIVE * 100}%`));

  // Both columns flat at ε = 1e-3, nothing usable beyond: nβ = 10 is nearer nβ₀ = 8.
  const tie = grid([[1, 2], [1.05, 2.1], [null, null]]);
  assert.deepEqual(tie.recommendation.point, { i: 1, j: 1 });
  assert.match(tie.recommendation.verdict, /2 of 6 grid points qualify, 2 of them at this ε, of which this nβ is closest to nβ₀ = 8\./);

  // An unhealthy largest ε is passed over even when its λ̂ agrees: here split-R̂ and chains
  // that wandered off; a low MALA acceptance is named in the verdict, not disqualifying.
  const sick = grid([[1, 1], [1.1, 1.1], [1.1, 1.1]], { '2,0': { r_hat: 1.4 }, '2,1': { final_distance: 30, localization_radius: 10 }, '1,1': { mala_acceptance: 0.3 } });
  assert.deepEqual(sick.recommendation.point, { i: 1, j: 1 });
  assert.deepEqual([sick.judged[4]!.problems, sick.judged[5]!.problems], [['split-R̂ 1.4 > 1.1'], ['chains end 3× the localization radius from w₀']]);
  assert.match(sick.recommendation.verdict, new RegExp(`Its MALA acceptance is 0\\.3, below the ${MALA_ACCEPTANCE_LIMIT} the health check warns under`));
});

test('no point qualifies: the verdict says why and counts each problem', () => {
  const drifting = grid([[1, 1], [2, 2], [4, 4]]);
  assert.equal(drifting.recommendation.point, null);
  assert.match(drifting.recommendation.verdict, /^No grid point qualifies: 6 of 6 points have healthy chains, but at each of the 4 healthy pairs of neighbouring ε λ̂ still changes with ε\. Widen the ε grid/);

  const sick = grid([[-1, 1], [1, 1], [null, null]], { '0,1': { nonstationary: true }, '1,0': { nonstationary: true }, '1,1': { nonstationary: true } });
  assert.equal(sick.recommendation.point, null);
  assert.match(sick.recommendation.verdict, /^No grid point qualifies: no point has healthy chains\. Problems: no positive λ̂ at 3 points; llc trace not stationary at 3 points; chains diverged at 2 points\./);

  const one = recommend([{ i: 0, j: 0, epsilon: 1e-3, nbeta: 10, llc_mean: 1, llc_se: null }], [health()], 1, 10);
  assert.equal(one.recommendation.point, null);
  assert.match(one.recommendation.verdict, /the grid has a single ε/);
});
