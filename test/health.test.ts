// Sampler diagnostics against cases whose answer is known: i.i.d. chains, chains that
// disagree, AR(1) chains with a known ESS, trending and diverged traces, the notebook's
// noise-to-weights ratio, chains beyond the localization radius, exploding losses, λ̂ above
// d/2, the standard error of λ̂, and the settings each warning names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EstimateHealth } from '../schemas/health.ts';
import { Pcg32 } from '../pipeline/lib/util/prng.ts';
import { splitChains } from '../pipeline/lib/health/chains.ts';
import { effectiveSampleSize } from '../pipeline/lib/health/ess.ts';
import { estimateHealth, type HealthInput } from '../pipeline/lib/health/estimate-health.ts';
import { LLC_FLAGS, STAGE_KNOBS, type Knobs } from '../pipeline/lib/health/knobs.ts';
import { printHealthWarnings } from '../pipeline/lib/health/print.ts';
import { splitRhat } from '../pipeline/lib/health/rhat.ts';
import { stationarity } from '../pipeline/lib/health/stationarity.ts';

function normals(rng: Pcg32, n: number): Float64Array {
  // Box–Muller; 1 − u keeps the logarithm finite.
  return Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng.uniform())) * Math.cos(2 * Math.PI * rng.uniform()));
}

function ar1(rng: Pcg32, n: number, rho: number): Float64Array {
  const e = normals(rng, n);
  const x = new Float64Array(n);
  x[0] = e[0]! / Math.sqrt(1 - rho * rho); // start in the stationary distribution
  for (let i = 1; i < n; i++) x[i] = rho * x[i - 1]! + e[i]!;
  return x;
}

const within = (actual: number | null, expected: number, rel: number) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= rel * expected, `${actual} is not within ${rel * 100}% of ${expected}`);

test('i.i.d. normal chains: R̂ ≈ 1 and ESS ≈ the number of draws', () => {
  const rng = new Pcg32(1);
  const chains = Array.from({ length: 4 }, () => normals(rng, 2000));
  within(splitRhat(chains), 1, 0.01);
  within(effectiveSampleSize(chains), 8000, 0.1);
  within(effectiveSampleSize(splitChains(chains)), 8000, 0.1);
  assert.equal(stationarity(chains)?.nonstationary, false);
});

test('chains with different means: R̂ far above 1, and ESS far below the draws', () => {
  const rng = new Pcg32(2);
  const chains = [0, 0, 3, 3].map((mu) => normals(rng, 500).map((x) => x + mu));
  assert.ok(splitRhat(chains)! > 1.5, `R̂ ${splitRhat(chains)}`);
  assert.ok(effectiveSampleSize(chains)! < 100, `ESS ${effectiveSampleSize(chains)}`);
});

test('AR(1) chains: ESS ≈ N·(1−ρ)/(1+ρ)', () => {
  // Over 40 seeds the estimate's mean is within 2% of the truth at ρ = 0.5 and 0.9, its
  // spread 3% and 8.5%: 25% is three standard deviations.
  for (const rho of [0.5, 0.9, -0.3]) {
    const rng = new Pcg32(3);
    const chains = Array.from({ length: 4 }, () => ar1(rng, 5000, rho));
    within(effectiveSampleSize(chains), (20000 * (1 - rho)) / (1 + rho), 0.25);
  }
});

test('too short or constant chains give no R̂ or ESS instead of a number', () => {
  assert.equal(splitRhat([[1, 2, 3]]), null);
  assert.equal(effectiveSampleSize([[1, 2, 3]]), null);
  assert.equal(splitRhat([[2, 2, 2, 2, 2, 2]]), null);
  assert.equal(effectiveSampleSize([[2, 2, 2, 2, 2, 2]]), null);
  assert.equal(stationarity([[1, 2, 3, 4, 5, 6, 7]]), null);
});

test('a trend is non-stationary; autocorrelated but stationary chains mostly are not', () => {
  const rng = new Pcg32(4);
  const trend = normals(rng, 200).map((x, i) => 0.3 * x + i / 100);
  const s = stationarity([trend])!;
  assert.ok(s.nonstationary && s.second > s.first, JSON.stringify(s));
  // ρ = 0.9: halves differ by chance far more than an i.i.d. standard error allows.
  let flagged = 0;
  for (let seed = 0; seed < 50; seed++) if (stationarity([ar1(new Pcg32(100 + seed), 400, 0.9)])!.nonstationary) flagged++;
  assert.ok(flagged <= 4, `${flagged} of 50 stationary AR(1) chains called non-stationary`);
});

/** A healthy estimate: 2 chains of i.i.d. losses around 0.1, weights of RMS ≈ 0.18. */
function input(over: Partial<HealthInput> = {}): HealthInput {
  const rng = new Pcg32(5);
  const chains = 2;
  const draws = 200;
  const loss = Float32Array.from(normals(rng, chains * draws), (x) => 0.1 + 0.001 * x);
  const initLoss = 0.099;
  return {
    label: 'checkpoint step 500',
    chains,
    draws,
    loss,
    llc: loss.map((l) => 2 * (l - initLoss)),
    diverged: [],
    llcMean: 0.002,
    lr: 1e-3,
    noiseLevel: 1,
    weights: Float32Array.from(normals(rng, 1000), (x) => 0.18 * x),
    ...over,
  };
}

test('a healthy estimate has no warnings and matches the schema', () => {
  const h = EstimateHealth.parse(estimateHealth(input()));
  assert.deepEqual(h.warnings, []);
  assert.equal(h.diverged_chains, 0);
  within(h.r_hat, 1, 0.05);
  within(h.ess, 400, 0.25);
  assert.ok(h.noise_to_weight_rms > 0.15 && h.noise_to_weight_rms < 0.2, String(h.noise_to_weight_rms));
});

test("the notebook's noise, ~10× the weights' RMS, is recorded but not warned about: it does not say where the chains go", () => {
  const weights = Float32Array.from(normals(new Pcg32(6), 1000), (x) => 0.003 * x);
  const h = estimateHealth(input({ weights, localization: 5 }));
  within(h.noise_to_weight_rms, Math.sqrt(1e-3) / 0.003, 0.1);
  assert.deepEqual(h.warnings, []);
});

test('chains that end further from w₀ than γ lets a flat loss take them are warned about, naming γ and ε with their numbers', () => {
  const base = input({ localization: 5, nbeta: 2 });
  // d = 1000, σ = 1, γ = 5, ε = 1e-3: the radius √(1000/(5·(1 − 0.00125))) ≈ 14.15.
  const radius = Math.sqrt(1000 / (5 * (1 - 1e-3 * 5 / 4)));
  const ending = (last: number) => Float32Array.from({ length: base.chains * base.draws }, (_, i) => (((i % base.draws) + 1) / base.draws) * last);
  const inside = EstimateHealth.parse(estimateHealth({ ...base, distance: ending(1.9 * radius) }));
  within(inside.localization_radius ?? null, radius, 1e-9);
  assert.deepEqual(inside.warnings, []);
  const far = estimateHealth({ ...base, distance: ending(3 * radius) });
  assert.deepEqual(far.warnings, [
    `checkpoint step 500: the chains end |w − w₀| = ${Number((3 * radius).toPrecision(3))} from w₀, 3× the 14.2 a chain reaches where the loss is flat (√(d·σ²/(γ(1 − εγ/4))) with d = 1000, γ = 5, σ = 1, ε = 0.001; warned above 2×): the loss's gradient (nβ = 2 times it) pushes them away from w₀ and λ̂ describes somewhere else — raise γ (estimate.localization, now 5) or lower ε (estimate.lr, now 0.001)`,
  ]);
  // γ = 0 holds nothing: there is no radius to judge by.
  assert.equal(estimateHealth({ ...base, localization: 0, distance: ending(3 * radius) }).localization_radius, null);
});

test('each warning names the setting to change where the estimate was made: config keys in the stages, flags in pipeline llc', () => {
  const rng = new Pcg32(9);
  const draws = 200;
  const trend = Float32Array.from(normals(rng, 2 * draws), (x, i) => 0.1 + 0.001 * (0.3 * x + (i % draws) / 10));
  const drifting = input({ loss: trend, llc: trend.map((l) => 2 * (l - 0.099)), burnin: 0, thin: 1, localization: 5 });
  const text = (knobs?: Knobs) => estimateHealth({ ...drifting, ...(knobs ? { knobs } : {}) }).warnings.join('\n');
  assert.match(text(), /not stationary — more burn-in \(estimate\.num_burnin_steps, now 0\) or more draws \(estimate\.num_draws, now 200\)/);
  assert.match(text(), /few independent values — space the draws apart \(estimate\.num_steps_bw_draws, now 1\) or take more draws \(estimate\.num_draws, now 200\)/);
  assert.match(text(LLC_FLAGS), /not stationary — more burn-in \(--burnin, now 0\) or more draws \(--draws, now 200\)/);
  // Calibration has no burn-in or thinning: only its draws are named.
  assert.match(text(STAGE_KNOBS.calibration), /not stationary — take more draws \(calibration\.num_draws, now 200\)$/m);
  assert.doesNotMatch(text(STAGE_KNOBS.calibration), /burnin|num_steps_bw_draws/);
  const batch = estimateHealth({ ...input(), knobs: LLC_FLAGS, batch: { size: 5000, rows: 1000, autoNbeta: false } });
  assert.match(batch.warnings.join('\n'), /use a batch size of at most 1000 \(--batch-size, now 5000\)/);
});

test('MALA acceptance and distance from w₀: means over kept chains, and a warning when acceptance is low', () => {
  const base = input();
  const draws = base.draws;
  // Chain 0 accepts 0.9 (its first draw unmeasured), chain 1 0.3: mean ≈ 0.6, below 0.7.
  const malaAcceptance = Float32Array.from({ length: base.chains * draws }, (_, i) => (i === 0 ? Number.NaN : i < draws ? 0.9 : 0.3));
  const distance = Float32Array.from({ length: base.chains * draws }, (_, i) => (i % draws) / draws + (i < draws ? 0 : 1));
  const h = EstimateHealth.parse(estimateHealth({ ...base, malaAcceptance, distance }));
  within(h.mala_acceptance ?? null, (Math.fround(0.9) * (draws - 1) + Math.fround(0.3) * draws) / (2 * draws - 1), 1e-6);
  within(h.final_distance ?? null, (draws - 1) / draws + 0.5, 1e-6);
  assert.deepEqual(h.warnings, ["checkpoint step 500: the MALA acceptance probability averages 0.599 (devinterp's authors aim for ~0.9, warned below 0.7): the SGLD steps are too coarse for this posterior — lower ε (estimate.lr, now 0.001)"]);
  const good = estimateHealth({ ...base, malaAcceptance: malaAcceptance.map(() => 0.92) });
  assert.deepEqual(good.warnings, []);
  assert.equal(estimateHealth(base).mala_acceptance, null);
});

test('at all-zero weights (a singular point w = 0) the noise ratio is recorded as the largest number', () => {
  const h = EstimateHealth.parse(estimateHealth(input({ weights: new Float32Array(100) })));
  assert.equal(h.noise_to_weight_rms, Number.MAX_VALUE);
  assert.deepEqual(h.warnings, []);
});

test('a diverged chain is counted, warned about and left out of the diagnostics', () => {
  const base = input();
  const loss = base.loss.slice();
  loss.fill(Number.NaN, 50, 200); // chain 0 turns NaN at draw 50
  const h = estimateHealth({ ...base, loss, llc: base.llc.map((v, i) => (Number.isNaN(loss[i]!) ? Number.NaN : v)), diverged: [{ chain: 0 }] });
  assert.equal(h.diverged_chains, 1);
  assert.ok(h.r_hat !== null && h.ess !== null, 'the other chain still has diagnostics');
  assert.deepEqual(h.warnings, ['checkpoint step 500: 1 of 2 chains diverged (NaN or infinite loss); λ̂ comes from the other 1 — lower ε (estimate.lr, now 0.001) until none diverges']);
  const all = estimateHealth({ ...base, loss: base.loss.map(() => Number.POSITIVE_INFINITY), llcMean: null });
  assert.equal(all.diverged_chains, 2);
  assert.equal(all.r_hat, null);
  assert.match(all.warnings[0]!, /all 2 chains diverged/);
  EstimateHealth.parse(all);
});

test('negative λ̂, disagreeing chains, low ESS and a drifting trace each give their warning', () => {
  const rng = new Pcg32(7);
  const draws = 200;
  // Chain 1 sits higher than chain 0, and both drift upwards with strong autocorrelation.
  const rows = [0, 1].map((c) => ar1(rng, draws, 0.97).map((x, i) => 0.1 + 0.001 * (x + 5 * c + i / 10)));
  const loss = Float32Array.from([...rows[0]!, ...rows[1]!]);
  const h = estimateHealth(input({ loss, llc: loss.map((l) => 2 * (l - 0.2)), llcMean: -0.1 }));
  assert.ok(h.negative_llc && h.nonstationary);
  const text = h.warnings.join('\n');
  for (const what of [/λ̂ = -0\.1 is negative/, /split-R̂ = [\d.]+ \(above 1\.1\)/, /effective sample size [\d.]+ of 400 draws/, /drifts from -0\.\d+ \(first half\) to -0\.\d+ \(second half\)/]) {
    assert.match(text, what);
  }
  assert.ok(h.warnings.every((w) => w.startsWith('checkpoint step 500: ')));
});

test('loss explosion: far above init_loss and still growing; a chain as far above it but flat is not one', () => {
  const rng = new Pcg32(8);
  const draws = 200;
  const initLoss = 0.001;
  // 470× init_loss and flat (a well-trained model sampled hot), against a loss doubling
  // every 20 draws from 10× init_loss.
  const flat = Float32Array.from(normals(rng, 2 * draws), (x) => 0.47 + 0.01 * x);
  const growing = Float32Array.from({ length: 2 * draws }, (_, i) => initLoss * 10 * 2 ** ((i % draws) / 20));
  const llcOf = (loss: Float32Array) => loss.map((l) => 46 * (l - initLoss));
  const quiet = estimateHealth(input({ loss: flat, llc: llcOf(flat), llcMean: 21.6, initLoss }));
  within(quiet.loss_to_init!, 470, 0.01);
  assert.doesNotMatch(quiet.warnings.join('\n'), /exploded/);
  const loud = estimateHealth(input({ loss: growing, llc: llcOf(growing), llcMean: 1, initLoss }));
  assert.match(loud.warnings.join('\n'), /the loss exploded: chain 0 averages [\d.e+]+× init_loss over its last half of draws \(above 100×\), more than 2× its first half/);
  // Without init_loss (the check off) nothing is recorded; with init_loss 0 the ratio has no scale.
  assert.equal('loss_to_init' in estimateHealth(input()), false);
  assert.equal(estimateHealth(input({ initLoss: 0 })).loss_to_init, null);
});

test('λ̂ above d/2 by more than 3 standard errors, and a batch larger than the data, each give their warning', () => {
  const base = input();
  const above = (llcMean: number, dimension: number) => estimateHealth({ ...base, llcMean, dimension }).warnings.join('\n');
  const se = estimateHealth(base).llc_se!;
  assert.match(above(2.5 + 4 * se, 5), /λ̂ = [\d.]+ is more than 3 standard errors \([\d.e-]+\) above d\/2 = 2\.5 for the d = 5 sampled weights/);
  assert.doesNotMatch(above(2.5 + 2 * se, 5), /above d\/2/);
  assert.doesNotMatch(above(2.5 + 4 * se, 1000), /above d\/2/);
  const batch = (size: number, autoNbeta: boolean) => estimateHealth({ ...base, batch: { size, rows: 1000, autoNbeta } }).warnings.join('\n');
  assert.match(batch(5000, true), /the batch size 5000 is larger than the data's 1000 rows: every minibatch is the whole dataset, and nβ = auto \(m\/ln m\) was computed from m = 5000, not from the 1000 rows each minibatch holds — use a batch size of at most 1000/);
  assert.match(batch(5000, false), /every minibatch is the whole dataset — use a batch size of at most 1000/);
  assert.doesNotMatch(batch(1000, true), /batch size/);
});

test('the standard error of λ̂: std over chains / √chains, or with one chain sd / √ESS', () => {
  const h = input();
  const twoChains = estimateHealth(h);
  const means = [0, 1].map((c) => h.llc.subarray(c * h.draws, (c + 1) * h.draws).reduce((a, b) => a + b, 0) / h.draws);
  within(twoChains.llc_se!, Math.abs(means[0]! - means[1]!) / 2, 1e-6);
  const one = estimateHealth({ ...h, chains: 1, loss: h.loss.subarray(0, h.draws), llc: h.llc.subarray(0, h.draws) });
  const row = Array.from(h.llc.subarray(0, h.draws));
  const m = row.reduce((a, b) => a + b, 0) / row.length;
  const sd = Math.sqrt(row.reduce((a, b) => a + (b - m) ** 2, 0) / (row.length - 1));
  within(one.llc_se!, sd / Math.sqrt(one.ess!), 1e-6);
});

test('printHealthWarnings writes one stderr line per warning', (t) => {
  const lines: string[] = [];
  t.mock.method(process.stderr, 'write', (s: string) => lines.push(s) > 0);
  printHealthWarnings([estimateHealth(input({ batch: { size: 5000, rows: 1000, autoNbeta: false }, llcMean: -1 })), estimateHealth(input())], 'estimate: ');
  t.mock.restoreAll();
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => /^estimate: warning: checkpoint step 500: .*\n$/.test(l)), lines.join(''));
});

test('printHealthWarnings stops after maxLines and counts the rest', (t) => {
  const lines: string[] = [];
  t.mock.method(process.stderr, 'write', (s: string) => lines.push(s) > 0);
  const noisy = estimateHealth(input({ batch: { size: 5000, rows: 1000, autoNbeta: false }, llcMean: -1 }));
  const quiet = estimateHealth(input());
  printHealthWarnings([noisy, quiet, noisy, noisy], 'sweep: ', 3);
  t.mock.restoreAll();
  assert.equal(noisy.warnings.length, 2);
  assert.equal(lines.length, 4);
  assert.equal(lines[3], 'sweep: … and 3 more warnings (3 of 4 estimates have some); all are in health.json and the report\n');
});
