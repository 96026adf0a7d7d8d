// The sweep's recommended point (stages/sweep/recommend.ts) on grids whose health is set by
// hand: healthy, escaped and saturated sweeps. A point qualifies only with no health warning
// (MALA acceptance included), chains in the basin (not near the trivial loss, λ̂ not growing
// like nβ) and λ̂ flat against the next smaller ε; the nβ nearest nβ₀ wins, then the largest
// ε; and an honest "none" names why. (The report test sees it on a real sweep.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EstimateHealth } from '../schemas/health.ts';
import { MALA_ACCEPTANCE_LIMIT, R_HAT_LIMIT, WANDER_LIMIT } from '../pipeline/lib/health/estimate-health.ts';
import { ESCAPE_FRACTION, PLATEAU_RELATIVE, PROPORTIONAL_EXPONENT, RULE, recommend, type GridPoint } from '../stages/sweep/recommend.ts';

const EPS = [1e-4, 1e-3, 1e-2];
const NBETA = [100, 1000];
/** init_loss and the best constant's loss: escaped chains sit near the latter. */
const INIT = 0.001;
const TRIVIAL = 0.06;

function health(over: Partial<EstimateHealth> = {}): EstimateHealth {
  return { label: 'p', chains: 2, draws: 100, r_hat: 1.01, ess: 150, llc_se: 0.05, llc_mean: 1, negative_llc: false, diverged_chains: 0, first_half_llc: 1, second_half_llc: 1, nonstationary: false, noise_to_weight_rms: 0.1, mala_acceptance: 0.95, final_distance: 1, warnings: [], ...over };
}

/** A warning as health.json words it, for a problem set by hand. */
const warned = (over: Partial<EstimateHealth>, text: string): Partial<EstimateHealth> => ({ ...over, warnings: [`p: ${text}`] });

function points(llc: (number | null)[][], eps = EPS, nbeta = NBETA): GridPoint[] {
  return eps.flatMap((epsilon, i) => nbeta.map((nb, j) => ({ i, j, epsilon, nbeta: nb, llc_mean: llc[i]![j]!, llc_se: 0.05, init_loss: INIT })));
}

/** The 3 × 2 grid with λ̂ = llc[i][j] (null: diverged) and health overrides per point. */
function grid(llc: (number | null)[][], over: Record<string, Partial<EstimateHealth>> = {}) {
  const ps = points(llc);
  const hs = ps.map((p) => health({ llc_mean: p.llc_mean, ...(p.llc_mean === null ? warned({ diverged_chains: 2 }, 'all 2 chains diverged') : {}), ...over[`${p.i},${p.j}`] }));
  return recommend(ps, hs, 2, 800, TRIVIAL);
}

test('healthy sweep: the flat healthy point with nβ nearest nβ₀ is recommended, then the largest ε', () => {
  // nβ = 100: flat from ε 1e-4 to 1e-3, diverged at 1e-2. nβ = 1000: still rising at 1e-3, flat to 1e-2.
  const r = grid([[0.5, 1], [0.55, 2], [null, 2.1]]);
  assert.deepEqual(r.recommendation.point, { i: 2, j: 1 });
  assert.deepEqual(r.judged.map((j) => j.plateau), [null, null, true, false, null, true]);
  assert.deepEqual(r.judged[4]!.problems, ['2 of 2 chains diverged', 'no λ̂']);
  assert.match(r.recommendation.verdict, /^Recommended: ε = 0\.01, nβ = 1000, λ̂ = 2\.1 ± 0\.05 \(se over 2 chains\)\. .* agrees with that at ε = 0\.001 \(λ̂ = 2 ± 0\.05/);
  assert.equal(r.recommendation.rule, RULE);
  for (const part of [`split-R̂ ≤ ${R_HAT_LIMIT}`, `MALA acceptance ≥ ${MALA_ACCEPTANCE_LIMIT}`, `${WANDER_LIMIT}× the localization radius`, `${ESCAPE_FRACTION * 100}% of the way`, `nβ^${PROPORTIONAL_EXPONENT}`, `${PLATEAU_RELATIVE * 100}%`]) {
    assert.ok(RULE.includes(part), part);
  }
  // Both columns flat at ε = 1e-3, nothing usable beyond: nβ = 1000 is nearer nβ₀ = 800.
  const tie = grid([[0.5, 2], [0.52, 2.1], [null, null]]);
  assert.deepEqual(tie.recommendation.point, { i: 1, j: 1 });
});

test('a low MALA acceptance, or any other health warning, disqualifies a point whose λ̂ agrees', () => {
  const sick = grid([[0.5, 1], [0.52, 1.05], [0.55, 1.1]], {
    '2,0': warned({ r_hat: 1.4 }, 'split-R̂ = 1.4'),
    '2,1': warned({ mala_acceptance: 0.5 }, 'the MALA acceptance probability averages 0.5'),
    '1,1': warned({}, 'the loss exploded'),
  });
  assert.deepEqual(sick.recommendation.point, { i: 1, j: 0 });
  assert.deepEqual(sick.judged[5]!.problems, ['MALA acceptance 0.5 < 0.7']);
  assert.deepEqual(sick.judged[3]!.problems, ['1 other health warning (health.json)']);
  assert.deepEqual(sick.judged[4]!.problems, ['split-R̂ 1.4 > 1.1']);
});

test('escaped sweep: chains near the trivial loss, or λ̂ proportional to nβ, are never recommended', () => {
  const eps = [1e-4, 1e-3, 3e-1];
  const nbeta = [100, 1000, 1e4, 1e5];
  const llc = [
    // Small ε: λ̂ levels off in nβ, the loss stays near init_loss: in the basin.
    [0.4, 0.8, 1, 1.1],
    // λ̂ ∝ nβ with the loss still low: held by γ alone, where λ̂ measures no learning coefficient.
    [0.5, 5, 50, 500],
    // The notebook's ε = 0.3 corner: λ̂/nβ ≈ 0.19 at every nβ — the trivial model's loss, and flat in ε.
    [19, 190, 1900, 19000],
  ];
  const ps = points(llc, eps, nbeta);
  const r = recommend(ps, ps.map((p) => health({ llc_mean: p.llc_mean })), 2, 46, TRIVIAL);
  const at = (i: number, j: number) => r.judged[i * nbeta.length + j]!;
  assert.ok([0, 1, 2, 3].every((j) => at(0, j).escaped === null), JSON.stringify(r.judged.slice(0, 4)));
  assert.match(at(1, 1).escaped ?? '', /^λ̂ grows like nβ\^1, nβ\^1 towards the neighbouring nβ: proportional to nβ/);
  assert.match(at(2, 3).escaped ?? '', /^the chains' mean loss 0\.191 has gone \d+% of the way from init_loss 0\.001 to the best constant's 0\.06$/);
  // Nothing beyond the first row can qualify, and the first row has no smaller ε to agree with.
  assert.equal(r.recommendation.point, null);
  assert.match(r.recommendation.verdict, /chains escaped the basin at 8 points/);
  // With a smaller ε in the basin below it, the levelled-off row qualifies; the escaped rows never do.
  const below = points([[0.38, 0.78, 0.98, 1.08], ...llc], [1e-5, ...eps], nbeta);
  const r2 = recommend(below, below.map((p) => health({ llc_mean: p.llc_mean })), 2, 46, TRIVIAL);
  assert.deepEqual(r2.recommendation.point, { i: 1, j: 0 });
});

test('saturated sweep: λ̂ still changing with ε everywhere, or nothing healthy — no point, and why', () => {
  const drifting = grid([[0.5, 1], [1, 2], [2, 4]]);
  assert.equal(drifting.recommendation.point, null);
  assert.match(drifting.recommendation.verdict, /^No grid point qualifies: 6 of 6 points have healthy chains in the basin, but at each of the 4 such pairs of neighbouring ε λ̂ still changes with ε\. Widen the ε grid/);

  const sick = grid([[-1, 1], [1, 1], [null, null]], { '0,0': warned({}, 'λ̂ = -1 is negative'), '0,1': warned({ nonstationary: true }, 'drifts'), '1,0': warned({ nonstationary: true }, 'drifts'), '1,1': warned({ nonstationary: true }, 'drifts') });
  assert.equal(sick.recommendation.point, null);
  assert.match(sick.recommendation.verdict, /^No grid point qualifies: no point has healthy chains that stayed in the basin\. Problems: llc trace not stationary at 3 points; no positive λ̂ at 3 points; chains diverged at 2 points\./);

  // λ̂ 10× larger at 10× the nβ, at every ε: proportional to nβ.
  const escaped = recommend(points([[1, 10], [1, 10], [1, 10]]), points([[1, 10], [1, 10], [1, 10]]).map((p) => health({ llc_mean: p.llc_mean })), 2, 800, TRIVIAL);
  assert.equal(escaped.recommendation.point, null);
  assert.match(escaped.recommendation.verdict, /chains escaped the basin at 6 points\. Raise γ \(sweep\.localization\) or lower nβ where chains escaped/);

  const one = recommend([{ i: 0, j: 0, epsilon: 1e-3, nbeta: 10, llc_mean: 1, llc_se: null, init_loss: INIT }], [health()], 1, 10, TRIVIAL);
  assert.equal(one.recommendation.point, null);
  assert.match(one.recommendation.verdict, /the grid has a single ε/);
});
