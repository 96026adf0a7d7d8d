// Which SGLD steps are draws (devinterp's sample_single_chain): `burnin` steps are
// discarded, then every `thin`-th step's loss is a draw until there are `draws` of them.
// Step i (0-based) is draw (i - burnin) / thin when i ≥ burnin and (i + 1 - burnin) is a
// multiple of thin.

export interface DrawSchedule {
  burnin: number;
  draws: number;
  thin: number;
}

export function checkSchedule(s: DrawSchedule): void {
  if (!Number.isInteger(s.burnin) || s.burnin < 0) throw new Error(`sgld: burn-in steps must be an integer ≥ 0, got ${s.burnin}`);
  if (!Number.isInteger(s.draws) || s.draws < 1) throw new Error(`sgld: draws must be an integer ≥ 1, got ${s.draws}`);
  if (!Number.isInteger(s.thin) || s.thin < 1) throw new Error(`sgld: steps between draws must be an integer ≥ 1, got ${s.thin}`);
}

export function totalSteps(s: DrawSchedule): number {
  return s.burnin + s.draws * s.thin;
}

/** The draw that step `i` yields, or undefined for a burn-in or in-between step. */
export function drawAt(s: DrawSchedule, i: number): number | undefined {
  const since = i + 1 - s.burnin;
  return i >= s.burnin && since % s.thin === 0 ? since / s.thin - 1 : undefined;
}
