// The sweep's recommended (ε, nβ): SGLD calibration as devinterp's authors describe it —
// too small an ε and the chains have not reached their level in the draws given, too large
// and they diverge or wander; between the two λ̂ stops depending on ε. So a point qualifies
// when its chains are healthy and its λ̂ agrees with the next smaller ε's at the same nβ,
// and the largest such ε is taken (larger steps mix faster). Every threshold is named here
// and appears in the rule's sentence. MALA acceptance is not part of the test: it falls with
// the number of weights at a fixed ε (0.4 at ε = 3e-3 with nβ ≈ 0 on the smoke model, where
// the posterior is the Gaussian localization term and SGLD's bias is negligible), while the
// plateau test measures the step-size bias of λ̂ itself; the verdict names a low acceptance.
import type { EstimateHealth } from '../../schemas/health.ts';
import type { SweepRecommendation } from '../../schemas/sweep.ts';
import { MALA_ACCEPTANCE_LIMIT, R_HAT_LIMIT, WANDER_LIMIT } from '../../pipeline/lib/health/estimate-health.ts';
import { Z_LIMIT } from '../../pipeline/lib/health/stationarity.ts';

/** Two λ̂ "agree" within this many combined standard errors … */
export const PLATEAU_SE = 2;
/** … or within this fraction of the larger, whichever is wider (two chains give a rough se). */
export const PLATEAU_RELATIVE = 0.2;

export interface GridPoint {
  i: number;
  j: number;
  epsilon: number;
  nbeta: number;
  llc_mean: number | null;
  llc_se: number | null;
}

export interface Judged {
  problems: string[];
  plateau: boolean | null;
}

const fmt = (x: number) => String(Number(x.toPrecision(3)));

export const RULE =
  `A grid point qualifies when its chains are healthy — no chain diverged, λ̂ > 0, split-R̂ ≤ ${R_HAT_LIMIT}, ` +
  `the llc trace stationary (its two halves within ${Z_LIMIT} standard errors), the chains ending within ${WANDER_LIMIT}× the localization radius of w₀ where it is defined — ` +
  `and its λ̂ agrees with that of the next smaller ε at the same nβ, itself healthy (within ${PLATEAU_SE} combined standard errors or ${PLATEAU_RELATIVE * 100}%, whichever is wider), ` +
  `so λ̂ and λ̂/nβ are flat in ε there. The recommended point is the qualifying point with the largest ε (larger steps mix faster); ` +
  `between nβ at that ε, the one closest to nβ₀ = m/ln m.`;

interface Problem {
  /** What is wrong, without numbers: problems of one kind are counted together. */
  kind: string;
  text: string;
}

/** Why a point's chains fail the health test (empty: they pass). */
function problemsOf(p: GridPoint, h: EstimateHealth): Problem[] {
  const out: Problem[] = [];
  if (h.diverged_chains > 0) out.push({ kind: 'chains diverged', text: `${h.diverged_chains} of ${h.chains} chains diverged` });
  if (p.llc_mean === null || p.llc_mean <= 0) out.push({ kind: 'no positive λ̂', text: p.llc_mean === null ? 'no λ̂' : `λ̂ = ${fmt(p.llc_mean)} ≤ 0` });
  if (h.r_hat !== null && h.r_hat > R_HAT_LIMIT) out.push({ kind: `split-R̂ > ${R_HAT_LIMIT}`, text: `split-R̂ ${fmt(h.r_hat)} > ${R_HAT_LIMIT}` });
  if (h.nonstationary) out.push({ kind: 'llc trace not stationary', text: 'llc trace not stationary' });
  const radius = h.localization_radius;
  if (h.final_distance != null && radius != null && h.final_distance > WANDER_LIMIT * radius) {
    out.push({ kind: `chains beyond ${WANDER_LIMIT}× the localization radius`, text: `chains end ${fmt(h.final_distance / radius)}× the localization radius from w₀` });
  }
  return out;
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
 * `chains` is the chains per point, `nbeta0` the centre of the nβ grid.
 */
export function recommend(points: readonly GridPoint[], health: readonly EstimateHealth[], chains: number, nbeta0: number): { judged: Judged[]; recommendation: SweepRecommendation } {
  const problems = points.map((p, k) => problemsOf(p, health[k]!));
  const at = new Map(points.map((p, k) => [`${p.i},${p.j}`, k]));
  const healthy = (k: number | undefined): k is number => k !== undefined && problems[k]!.length === 0;
  const judged: Judged[] = points.map((p, k) => {
    const below = at.get(`${p.i - 1},${p.j}`);
    const texts = problems[k]!.map((x) => x.text);
    if (!healthy(k) || !healthy(below)) return { problems: texts, plateau: null };
    return { problems: texts, plateau: agree(p as GridPoint & { llc_mean: number }, points[below] as GridPoint & { llc_mean: number }) };
  });
  const qualifying = points.map((p, k) => ({ p, k })).filter(({ k }) => judged[k]!.plateau === true);
  const distance = (nbeta: number) => Math.abs(Math.log(nbeta / nbeta0));
  const best = qualifying.reduce<(typeof qualifying)[number] | null>((a, b) => (a === null || b.p.epsilon > a.p.epsilon || (b.p.epsilon === a.p.epsilon && distance(b.p.nbeta) < distance(a.p.nbeta)) ? b : a), null);
  if (best) {
    const below = points[at.get(`${best.p.i - 1},${best.p.j}`)!]!;
    const others = qualifying.filter((q) => q.p.epsilon === best.p.epsilon).length - 1;
    const mala = health[best.k]!.mala_acceptance;
    const caveat = mala != null && mala < MALA_ACCEPTANCE_LIMIT ? ` Its MALA acceptance is ${fmt(mala)}, below the ${MALA_ACCEPTANCE_LIMIT} the health check warns under: λ̂ agreeing with the smaller ε says the step-size bias is within the noise, but a smaller ε is the safer choice.` : '';
    const verdict =
      `Recommended: ${pointName(best.p)}, ${estimate(best.p, chains)}. Its chains are healthy and its λ̂ agrees with that at ε = ${fmt(below.epsilon)} (${estimate(below, chains)}); ` +
      `${qualifying.length} of ${points.length} grid points ${qualifying.length === 1 ? 'qualifies' : 'qualify'}${others ? `, ${others + 1} of them at this ε, of which this nβ is closest to nβ₀ = ${fmt(nbeta0)}` : ''}.${caveat}`;
    return { judged, recommendation: { rule: RULE, point: { i: best.p.i, j: best.p.j }, verdict } };
  }
  const healthyCount = problems.filter((x) => x.length === 0).length;
  const compared = judged.filter((j) => j.plateau === false).length;
  const why =
    points.every((p) => p.i === 0)
      ? 'the grid has a single ε, so no λ̂ can be compared with a smaller step'
      : healthyCount === 0
        ? 'no point has healthy chains'
        : compared === 0
          ? `${healthyCount} of ${points.length} points ${healthyCount === 1 ? 'has' : 'have'} healthy chains, but none has a healthy neighbour at the next smaller ε to compare with`
          : `${healthyCount} of ${points.length} points ${healthyCount === 1 ? 'has' : 'have'} healthy chains, but at each of the ${compared} healthy pairs of neighbouring ε λ̂ still changes with ε`;
  const counts = new Map<string, number>();
  for (const x of problems.flat()) counts.set(x.kind, (counts.get(x.kind) ?? 0) + 1);
  const common = [...counts].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${kind} at ${n} point${n === 1 ? '' : 's'}`).join('; ');
  const verdict = `No grid point qualifies: ${why}${common ? `. Problems: ${common}` : ''}. Widen the ε grid, draw more (sweep.num_draws) or add chains (sweep.num_chains) before trusting any point of this grid.`;
  return { judged, recommendation: { rule: RULE, point: null, verdict } };
}
