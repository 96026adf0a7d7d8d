// The sweep's recommended (ε, nβ): a point the rest of the pipeline can trust. SGLD
// calibration as the SLT literature describes it (Lau et al., "The Local Learning
// Coefficient", arXiv 2308.12108; devinterp's calibration guidance and slt/mala.py; the
// reasoning in docs/calibration.md) asks three things of a step size and temperature, and
// each part of the rule is one of them:
//  1. The chains are healthy by every check the report warns on (health.json's warnings:
//     divergence, λ̂ > 0, split-R̂, effective sample size, stationarity, MALA acceptance, loss
//     explosion, λ̂ ≤ d/2, distance against the localization radius). A low MALA acceptance
//     means the discretised chain no longer samples the posterior it is meant to; unmixed or
//     drifting chains mean λ̂ is not yet an expectation at all.
//  2. The chains stay in the basin of w₀ (not "escaped"). Chains that leave it sit near the
//     loss of a trivial model, and then nβ·(E[L] − L₀) grows in proportion to nβ — λ̂/nβ is
//     flat in nβ — which a flat-in-ε test mistakes for a plateau. Two signs, either enough:
//     the chains' mean loss has gone at least ESCAPE_FRACTION of the way from L₀ to the
//     trivial predictor's loss; or λ̂ grows with nβ at least like nβ^PROPORTIONAL_EXPONENT
//     towards every neighbouring nβ at the same ε.
//  3. λ̂ no longer depends on ε: it agrees with that of the next smaller ε at the same nβ,
//     itself healthy and in the basin (too small an ε has not yet reached its level; too large
//     a one is biased by the discretisation).
// Among qualifying points the one with nβ nearest nβ₀ = m/ln m (the temperature the
// estimator's λ̂ is defined at) is recommended; between equals, the largest ε (faster mixing).
// When none qualifies the verdict says so, and what to widen.
import type { EstimateHealth } from '../../schemas/health.ts';
import type { SweepRecommendation } from '../../schemas/sweep.ts';
import { ESS_RATIO_LIMIT, MALA_ACCEPTANCE_LIMIT, R_HAT_LIMIT, WANDER_LIMIT } from '../../pipeline/lib/health/estimate-health.ts';
import { Z_LIMIT } from '../../pipeline/lib/health/stationarity.ts';

/** Two λ̂ "agree" within this many combined standard errors … */
export const PLATEAU_SE = 2;
/** … or within this fraction of the larger, whichever is wider (two chains give a rough se). */
export const PLATEAU_RELATIVE = 0.2;
/** Escaped: the chains' mean loss is this far (as a fraction) from L₀ to the trivial loss. */
export const ESCAPE_FRACTION = 0.5;
/** Escaped: λ̂ grows at least like nβ to this power towards the neighbouring nβ. */
export const PROPORTIONAL_EXPONENT = 0.8;

export interface GridPoint {
  i: number;
  j: number;
  epsilon: number;
  nbeta: number;
  llc_mean: number | null;
  llc_se: number | null;
  init_loss: number;
}

export interface Judged {
  problems: string[];
  /** Why the chains count as escaped, or null where they do not. */
  escaped: string | null;
  plateau: boolean | null;
}

const fmt = (x: number) => String(Number(x.toPrecision(3)));

export const RULE =
  `A grid point qualifies when (1) its chains pass every health check the report warns on — no chain diverged, λ̂ > 0, split-R̂ ≤ ${R_HAT_LIMIT}, ` +
  `an effective sample size of at least ${ESS_RATIO_LIMIT * 100}% of the draws, the llc trace stationary (its two halves within ${Z_LIMIT} standard errors), MALA acceptance ≥ ${MALA_ACCEPTANCE_LIMIT}, no loss explosion, λ̂ ≤ d/2, the chains within ${WANDER_LIMIT}× the localization radius —; ` +
  `(2) the chains have not escaped the basin of w₀: their mean loss has gone less than ${ESCAPE_FRACTION * 100}% of the way from init_loss to the loss of the best constant prediction, and λ̂ does not grow like nβ^${PROPORTIONAL_EXPONENT} or faster towards the neighbouring nβ; ` +
  `(3) its λ̂ agrees with that of the next smaller ε at the same nβ, itself passing (1) and (2) (within ${PLATEAU_SE} combined standard errors or ${PLATEAU_RELATIVE * 100}%, whichever is wider). ` +
  `The recommended point is the qualifying point with nβ nearest nβ₀ = m/ln m; between equals, the largest ε (larger steps mix faster).`;

interface Problem {
  /** What is wrong, without numbers: problems of one kind are counted together. */
  kind: string;
  text: string;
}

/** Why a point's chains fail the health test (empty: they pass). Every warning of
 * health.json disqualifies; the common ones are named, any other is counted as such. */
function problemsOf(p: GridPoint, h: EstimateHealth): Problem[] {
  const out: Problem[] = [];
  if (h.diverged_chains > 0) out.push({ kind: 'chains diverged', text: `${h.diverged_chains} of ${h.chains} chains diverged` });
  if (p.llc_mean === null || p.llc_mean <= 0) out.push({ kind: 'no positive λ̂', text: p.llc_mean === null ? 'no λ̂' : `λ̂ = ${fmt(p.llc_mean)} ≤ 0` });
  if (h.r_hat !== null && h.r_hat > R_HAT_LIMIT) out.push({ kind: `split-R̂ > ${R_HAT_LIMIT}`, text: `split-R̂ ${fmt(h.r_hat)} > ${R_HAT_LIMIT}` });
  if (h.ess !== null && h.ess < ESS_RATIO_LIMIT * (h.chains - h.diverged_chains) * h.draws) out.push({ kind: 'too few effective draws', text: `effective sample size ${fmt(h.ess)}` });
  if (h.nonstationary) out.push({ kind: 'llc trace not stationary', text: 'llc trace not stationary' });
  if (h.mala_acceptance != null && h.mala_acceptance < MALA_ACCEPTANCE_LIMIT) out.push({ kind: `MALA acceptance < ${MALA_ACCEPTANCE_LIMIT}`, text: `MALA acceptance ${fmt(h.mala_acceptance)} < ${MALA_ACCEPTANCE_LIMIT}` });
  const radius = h.localization_radius;
  if (h.final_distance != null && radius != null && h.final_distance > WANDER_LIMIT * radius) {
    out.push({ kind: `chains beyond ${WANDER_LIMIT}× the localization radius`, text: `chains end ${fmt(h.final_distance / radius)}× the localization radius from w₀` });
  }
  const unnamed = h.warnings.length - out.filter((x) => x.kind !== 'no positive λ̂' || (p.llc_mean !== null && p.llc_mean < 0)).length;
  if (unnamed > 0) out.push({ kind: 'other health warnings', text: `${unnamed} other health warning${unnamed === 1 ? '' : 's'} (health.json)` });
  return out;
}

/** Why the chains at `p` count as escaped, or null. `trivialLoss`: the best constant's loss. */
function escapedWhy(p: GridPoint, neighbours: GridPoint[], trivialLoss: number): string | null {
  if (p.llc_mean === null) return null;
  const excess = p.llc_mean / p.nbeta;
  const room = trivialLoss - p.init_loss;
  if (room > 0 && excess >= ESCAPE_FRACTION * room) {
    return `the chains' mean loss ${fmt(p.init_loss + excess)} has gone ${fmt((100 * excess) / room)}% of the way from init_loss ${fmt(p.init_loss)} to the best constant's ${fmt(trivialLoss)}`;
  }
  const growth = neighbours
    .filter((q): q is GridPoint & { llc_mean: number } => q.llc_mean !== null && q.llc_mean > 0)
    .map((q) => Math.log(q.llc_mean / p.llc_mean!) / Math.log(q.nbeta / p.nbeta));
  if (p.llc_mean > 0 && growth.length > 0 && growth.every((g) => g >= PROPORTIONAL_EXPONENT)) {
    return `λ̂ grows like nβ^${growth.map(fmt).join(', nβ^')} towards the neighbouring nβ: proportional to nβ, as where the loss no longer holds the chains`;
  }
  return null;
}

function agree(a: GridPoint & { llc_mean: number }, b: GridPoint & { llc_mean: number }): boolean {
  const se = a.llc_se !== null && b.llc_se !== null ? PLATEAU_SE * Math.hypot(a.llc_se, b.llc_se) : 0;
  return Math.abs(a.llc_mean - b.llc_mean) <= Math.max(se, PLATEAU_RELATIVE * Math.max(Math.abs(a.llc_mean), Math.abs(b.llc_mean)));
}

export const pointName = (p: { epsilon: number; nbeta: number }) => `ε = ${fmt(p.epsilon)}, nβ = ${fmt(p.nbeta)}`;

/** "λ̂ = 1.2 ± 0.1 (se over 2 chains)", or without ± where there is no standard error. */
function estimate(p: GridPoint, chains: number): string {
  if (p.llc_mean === null) return 'no λ̂';
  if (p.llc_se === null) return `λ̂ = ${fmt(p.llc_mean)} (no standard error)`;
  return `λ̂ = ${fmt(p.llc_mean)} ± ${fmt(p.llc_se)} (se ${chains > 1 ? `over ${chains} chains` : "from one chain's draws, sd/√ESS"})`;
}

/**
 * Judges every point (`health[k]` belongs to `points[k]`) and picks the recommended one.
 * `chains` is the chains per point, `nbeta0` the centre of the nβ grid, `trivialLoss` the
 * loss of the best constant prediction on the sampled data.
 */
export function recommend(points: readonly GridPoint[], health: readonly EstimateHealth[], chains: number, nbeta0: number, trivialLoss: number): { judged: Judged[]; recommendation: SweepRecommendation } {
  const problems = points.map((p, k) => problemsOf(p, health[k]!));
  const at = new Map(points.map((p, k) => [`${p.i},${p.j}`, k]));
  const escaped = points.map((p) => escapedWhy(p, [p.j - 1, p.j + 1].flatMap((j) => (at.has(`${p.i},${j}`) ? [points[at.get(`${p.i},${j}`)!]!] : [])), trivialLoss));
  const usable = (k: number | undefined): k is number => k !== undefined && problems[k]!.length === 0 && escaped[k] === null;
  const judged: Judged[] = points.map((p, k) => {
    const below = at.get(`${p.i - 1},${p.j}`);
    const base = { problems: problems[k]!.map((x) => x.text), escaped: escaped[k]! };
    if (!usable(k) || !usable(below)) return { ...base, plateau: null };
    return { ...base, plateau: agree(p as GridPoint & { llc_mean: number }, points[below] as GridPoint & { llc_mean: number }) };
  });
  const qualifying = points.map((p, k) => ({ p, k })).filter(({ k }) => judged[k]!.plateau === true);
  const distance = (nbeta: number) => Math.abs(Math.log(nbeta / nbeta0));
  const better = (a: (typeof qualifying)[number], b: (typeof qualifying)[number]) => distance(b.p.nbeta) < distance(a.p.nbeta) - 1e-12 || (Math.abs(distance(b.p.nbeta) - distance(a.p.nbeta)) <= 1e-12 && b.p.epsilon > a.p.epsilon);
  const best = qualifying.reduce<(typeof qualifying)[number] | null>((a, b) => (a === null || better(a, b) ? b : a), null);
  if (best) {
    const below = points[at.get(`${best.p.i - 1},${best.p.j}`)!]!;
    const others = qualifying.filter((q) => q.p.nbeta === best.p.nbeta).length - 1;
    const verdict =
      `Recommended: ${pointName(best.p)}, ${estimate(best.p, chains)}. Its chains pass every health check, have not escaped the basin, and its λ̂ agrees with that at ε = ${fmt(below.epsilon)} (${estimate(below, chains)}); ` +
      `${qualifying.length} of ${points.length} grid points ${qualifying.length === 1 ? 'qualifies' : 'qualify'}${others ? `, ${others + 1} of them at this nβ, of which this ε is the largest` : ''}; this nβ is the qualifying one nearest nβ₀ = ${fmt(nbeta0)}.`;
    return { judged, recommendation: { rule: RULE, point: { i: best.p.i, j: best.p.j }, verdict } };
  }
  const usableCount = points.filter((_, k) => usable(k)).length;
  const escapedCount = escaped.filter((e) => e !== null).length;
  const compared = judged.filter((j) => j.plateau === false).length;
  const why =
    points.every((p) => p.i === 0)
      ? 'the grid has a single ε, so no λ̂ can be compared with a smaller step'
      : usableCount === 0
        ? 'no point has healthy chains that stayed in the basin'
        : compared === 0
          ? `${usableCount} of ${points.length} points ${usableCount === 1 ? 'has' : 'have'} healthy chains in the basin, but none has such a neighbour at the next smaller ε to compare with`
          : `${usableCount} of ${points.length} points ${usableCount === 1 ? 'has' : 'have'} healthy chains in the basin, but at each of the ${compared} such pairs of neighbouring ε λ̂ still changes with ε`;
  const counts = new Map<string, number>();
  for (const x of problems.flat()) counts.set(x.kind, (counts.get(x.kind) ?? 0) + 1);
  if (escapedCount) counts.set('chains escaped the basin', escapedCount);
  const common = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([kind, n]) => `${kind} at ${n} point${n === 1 ? '' : 's'}`).join('; ');
  const widen = escapedCount ? 'Raise γ (sweep.localization) or lower nβ where chains escaped; widen' : 'Widen';
  const verdict = `No grid point qualifies: ${why}${common ? `. Problems: ${common}` : ''}. ${widen} the ε grid towards smaller steps, draw more (sweep.num_draws) or add chains (sweep.num_chains) before trusting any point of this grid.`;
  return { judged, recommendation: { rule: RULE, point: null, verdict } };
}
