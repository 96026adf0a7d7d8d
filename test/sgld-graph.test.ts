// The SGLD step graph in onnxruntime, on a linear model small enough to differentiate by
// hand: steps against the update rule of SPEC.md §4 with the fed noise; a step from
// subnormal weights; and in sampleChains, each chain's noise and minibatches its own streams,
// whatever chains run beside it and however many steps each session.run takes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pcg32 } from '../pipeline/lib/util/prng.ts';
import { DataType, type TensorValue } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { buildSgldGraph, IO } from '../pipeline/lib/sgld/update.ts';
import type { SgldModel } from '../pipeline/lib/sgld/sampled-model.ts';
import { sampleChains } from '../pipeline/lib/sgld/sessions.ts';

const T = { timeout: 60_000 };
const D = 6; // input features
const O = 2; // outputs per row
const P = D * O + O;

/** pred = x·W + b per chain: W [D,O], b [O]; flat parameters [W row-major, b]. */
const linear: SgldModel = {
  params: [
    { name: 'W', shape: [D, O] },
    { name: 'b', shape: [O] },
  ],
  chainAxis: true,
  inputType: DataType.FLOAT,
  opset: 17,
  forward(g, x, weight) {
    const W = weight('W', [D, O]);
    const b = g.op('Unsqueeze', [weight('b', [O]), g.ints([1])]);
    return g.op('Add', [g.op('MatMul', [x, W]), b]);
  },
};

const float = (dims: number[], data: ArrayLike<number>): TensorValue => ({ dataType: DataType.FLOAT, dims, data: Float32Array.from(data) });
const int64 = (dims: number[], data: number[]): TensorValue => ({ dataType: DataType.INT64, dims, data: BigInt64Array.from(data, BigInt) });

function randoms(n: number, rng: Pcg32, scale = 1): number[] {
  return Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * scale);
}

const N_ROWS = 7;
const rng = new Pcg32(42, 0);
const X = randoms(N_ROWS * D, rng);
const Y = randoms(N_ROWS * O, rng);
const data = { x: float([N_ROWS, D], X), y: float([N_ROWS, O], Y) };

interface Hyper {
  lr: number;
  nbeta: number;
  localization: number;
  weightDecay: number;
  noiseLevel: number;
}

/** Loss and gradient of Σ_b weight_b Σ_j (pred − y)² at flat w, in float64. */
function lossAndGrad(w: number[], rows: number[], weights: number[]): { loss: number; grad: number[] } {
  const grad = new Array<number>(P).fill(0);
  let loss = 0;
  rows.forEach((r, k) => {
    for (let j = 0; j < O; j++) {
      let pred = w[D * O + j]!;
      for (let i = 0; i < D; i++) pred += X[r * D + i]! * w[i * O + j]!;
      const diff = pred - Y[r * O + j]!;
      loss += weights[k]! * diff * diff;
      for (let i = 0; i < D; i++) grad[i * O + j]! += weights[k]! * 2 * diff * X[r * D + i]!;
      grad[D * O + j]! += weights[k]! * 2 * diff;
    }
  });
  return { loss, grad };
}

/** `noise[k][c]`: the standard normals of chain c at step k (default zeros). */
function feeds(params: number[][], w0: number[][], hyper: Hyper[], indices: number[][][], weights: number[][][], widths?: number[], noise?: number[][][]): Record<string, TensorValue> {
  const C = params.length;
  const K = indices.length;
  const B = indices[0]![0]!.length;
  const noiseData = noise ? noise.flat(2) : new Array<number>(K * C * P).fill(0);
  const perChain = (f: (h: Hyper) => number) => float([C, 1], hyper.map(f));
  return {
    [IO.params]: float([C, P], params.flat()),
    [IO.w0]: float([C, P], w0.flat()),
    [IO.lr]: perChain((h) => h.lr),
    [IO.nbeta]: perChain((h) => h.nbeta),
    [IO.localization]: perChain((h) => h.localization),
    [IO.weightDecay]: perChain((h) => h.weightDecay),
    [IO.noiseLevel]: perChain((h) => h.noiseLevel),
    [IO.batchIndices]: int64([K, C, B], indices.flat(2)),
    [IO.batchWeights]: float([K, C, B], weights.flat(2)),
    [IO.batchWidths]: int64([K], widths ?? new Array<number>(K).fill(B)),
    [IO.noise]: float([K, C, P], noiseData),
    [IO.x]: data.x,
    [IO.y]: data.y,
    // Plain SGLD graphs carry MALA's previous point, drift and energy: a fresh start.
    [IO.malaPoint]: float([C, P], params.flat()),
    [IO.malaDrift]: float([C, P], new Array<number>(C * P).fill(0)),
    [IO.malaEnergy]: float([C, 1], new Array<number>(C).fill(0)),
  };
}

/** The feeds of an rmsprop_sgld graph, which carries v instead of MALA's state. */
function rmspropFeeds(f: Record<string, TensorValue>, squareAvg: TensorValue): Record<string, TensorValue> {
  const { [IO.malaPoint]: _point, [IO.malaDrift]: _drift, [IO.malaEnergy]: _energy, ...rest } = f;
  return { ...rest, [IO.squareAvg]: squareAvg };
}

const shape = (chains: number, batch: number) => ({ chains, batch, xRow: [D], yRow: [O] });

test('SGLD steps match the update rule computed by hand, the fed noise scaled by √ε·σ', T, async () => {
  const hyper: Hyper[] = [
    { lr: 0.01, nbeta: 2, localization: 5, weightDecay: 0.3, noiseLevel: 0.7 },
    { lr: 0.05, nbeta: 46.17, localization: 0.5, weightDecay: 0, noiseLevel: 1 },
  ];
  const w0 = [randoms(P, rng), randoms(P, rng)];
  const start = [randoms(P, rng), randoms(P, rng)]; // away from w0, so localization acts
  // Two steps; the second is a pass's short last batch of 2 rows: its width is 2, and the
  // padding slot (row 5, weight 0.7) must not count.
  const indices = [[[0, 3, 5], [6, 1, 2]], [[2, 4, 5], [3, 0, 5]]];
  const weights = [[[1 / 6, 1 / 6, 1 / 6], [1 / 6, 1 / 6, 1 / 6]], [[1 / 4, 1 / 4, 0.7], [1 / 4, 1 / 4, 0.7]]].map((s) => s.map((c) => c.map(Math.fround)));
  const widths = [3, 2];
  const noise = [0, 1].map(() => [randoms(P, rng), randoms(P, rng)]);
  const session = await createSession(buildSgldGraph(linear, shape(2, 3)));
  const out = await runSession(session, feeds(start, w0, hyper, indices, weights, widths, noise));
  await session.release();

  const w = start.map((s) => [...s]);
  const losses: number[] = [];
  for (let k = 0; k < 2; k++) {
    for (let c = 0; c < 2; c++) {
      const h = hyper[c]!;
      const { loss, grad } = lossAndGrad(w[c]!, indices[k]![c]!.slice(0, widths[k]), weights[k]![c]!);
      losses.push(loss);
      w[c] = w[c]!.map((v, p) => v - (h.lr / 2) * (h.nbeta * grad[p]! + h.weightDecay * v + h.localization * (v - w0[c]![p]!)) + Math.sqrt(h.lr) * h.noiseLevel * noise[k]![c]![p]!);
    }
  }
  assert.deepEqual(out[IO.loss]!.dims, [2, 2]);
  Array.from(out[IO.loss]!.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - losses[i]!) <= 1e-5 * Math.max(1, Math.abs(losses[i]!)), `loss ${i}: ${v} vs ${losses[i]}`));
  const got = out[IO.paramsOut]!.data as Float32Array;
  w.flat().forEach((v, i) => assert.ok(Math.abs(got[i]! - v) <= 2e-5 * Math.max(1, Math.abs(v)), `weight ${i}: ${got[i]} vs ${v}`));
});

test('an SGLD step from subnormal weights is the step from zeros and leaves none (docs/subnormals.md)', T, async () => {
  // nβ 0 and no noise: only the weight-decay shrink acts, which would keep a subnormal
  // weight subnormal; flushed, it is 0, exactly as a weight that was 0.
  const hyper: Hyper[] = [{ lr: 0.01, nbeta: 0, localization: 1, weightDecay: 0.5, noiseLevel: 0 }];
  const start = randoms(P, rng);
  const session = await createSession(buildSgldGraph(linear, shape(1, 3)));
  const step = async (subnormal: boolean) => {
    const f = feeds([start], [start], hyper, [[[0, 3, 5]]], [[[1 / 3, 1 / 3, 1 / 3]]]);
    // Every other weight set through its bits: a JavaScript store here would flush it.
    for (const name of [IO.params, IO.w0, IO.malaPoint]) {
      const b = new Uint32Array((f[name]!.data as Float32Array).buffer);
      for (let p = 0; p < P; p += 2) b[p] = subnormal ? 0x00080000 : 0;
    }
    const out = (await runSession(session, f))[IO.paramsOut]!.data as Float32Array;
    return new Uint32Array(out.buffer, out.byteOffset, out.length);
  };
  const fromSubnormal = await step(true);
  const fromZero = await step(false);
  await session.release();
  assert.deepEqual(fromSubnormal, fromZero);
  for (let p = 0; p < P; p += 2) assert.equal(fromSubnormal[p], 0, `weight ${p}`);
  assert.ok(fromSubnormal.some((b) => b !== 0), 'the other weights moved');
});

test('RMSProp-SGLD steps match devinterp\'s rmsprop_sgld computed by hand; its noise is scaled by √G', T, async () => {
  const hyper: Hyper[] = [
    { lr: 0.01, nbeta: 2, localization: 5, weightDecay: 0.3, noiseLevel: 0 },
    { lr: 0.05, nbeta: 46.17, localization: 0.5, weightDecay: 0, noiseLevel: 0 },
  ];
  const w0 = [randoms(P, rng), randoms(P, rng)];
  const start = [randoms(P, rng), randoms(P, rng)];
  const indices = [[[0, 3, 5], [6, 1, 2]], [[2, 4, 1], [3, 0, 5]]];
  const weights = indices.map((step) => step.map((rows) => rows.map(() => Math.fround(1 / 3))));
  const square = [randoms(P, rng, 0.01).map(Math.abs), new Array<number>(P).fill(0)];
  const session = await createSession(buildSgldGraph(linear, shape(2, 3), 'rmsprop_sgld'));
  const out = await runSession(session, rmspropFeeds(feeds(start, w0, hyper, indices, weights), float([2, P], square.flat())));
  await session.release();

  const w = start.map((s) => [...s]);
  const v = square.map((s) => [...s]);
  for (let k = 0; k < 2; k++) {
    for (let c = 0; c < 2; c++) {
      const h = hyper[c]!;
      const { grad } = lossAndGrad(w[c]!, indices[k]![c]!, weights[k]![c]!);
      v[c] = v[c]!.map((x, p) => 0.99 * x + 0.01 * grad[p]! ** 2);
      w[c] = w[c]!.map((x, p) => {
        const G = 1 / (Math.sqrt(v[c]![p]!) + 0.1);
        return x - (h.lr / 2) * G * (h.nbeta * grad[p]! + h.weightDecay * x + h.localization * (x - w0[c]![p]!));
      });
    }
  }
  const close = (got: Float32Array, want: number[], what: string) => want.forEach((x, i) => assert.ok(Math.abs(got[i]! - x) <= 2e-5 * Math.max(1, Math.abs(x)), `${what} ${i}: ${got[i]} vs ${x}`));
  close(out[IO.paramsOut]!.data as Float32Array, w.flat(), 'weight');
  close(out[IO.squareAvgOut]!.data as Float32Array, v.flat(), 'square_avg');

  // Noise only (nβ = λ = γ = 0): the same noise as plain SGLD, times √G.
  const quiet: Hyper[] = [{ lr: 0.01, nbeta: 0, localization: 0, weightDecay: 0, noiseLevel: 1 }];
  const oneStep = [[[0, 3, 5]]];
  const oneWeights = [[[1 / 3, 1 / 3, 1 / 3].map(Math.fround)]];
  const oneNoise = [[randoms(P, rng)]];
  const run = async (sampler: 'sgld' | 'rmsprop_sgld') => {
    const s = await createSession(buildSgldGraph(linear, shape(1, 3), sampler));
    const f = feeds([start[0]!], [w0[0]!], quiet, oneStep, oneWeights, undefined, oneNoise);
    const o = await runSession(s, sampler === 'rmsprop_sgld' ? rmspropFeeds(f, float([1, P], new Array<number>(P).fill(0))) : f);
    await s.release();
    return o[IO.paramsOut]!.data as Float32Array;
  };
  const [plain, preconditioned] = [await run('sgld'), await run('rmsprop_sgld')];
  const { grad } = lossAndGrad(start[0]!, [0, 3, 5], oneWeights[0]![0]!);
  start[0]!.forEach((x, p) => assert.ok(Math.abs(plain[p]! - x - 0.1 * oneNoise[0]![0]![p]!) <= 1e-6, `plain noise ${p}`));
  start[0]!.forEach((x, p) => {
    const G = 1 / (Math.sqrt(0.01 * grad[p]! ** 2) + 0.1);
    const want = Math.sqrt(G) * (plain[p]! - x);
    assert.ok(Math.abs(preconditioned[p]! - x - want) <= 1e-5 * Math.max(1e-3, Math.abs(want)), `noise ${p}: ${preconditioned[p]! - x} vs ${want}`);
  });
});

test('a masked chain moves only its masked weights; a mask of ones changes nothing', T, async () => {
  const hyper: Hyper[] = [0, 1].map(() => ({ lr: 0.01, nbeta: 2, localization: 5, weightDecay: 0.1, noiseLevel: 1 }));
  const w0 = randoms(P, rng);
  const indices = [[[0, 3, 5], [0, 3, 5]], [[2, 4, 1], [2, 4, 1]]];
  const weights = indices.map((step) => step.map((rows) => rows.map(() => Math.fround(1 / 3))));
  const shared = randoms(P, rng);
  const base = feeds([w0, w0], [w0, w0], hyper, indices, weights, undefined, indices.map(() => [shared, shared]));
  // The bias (the last O weights) held; chain 1 all ones. Both chains get the same noise.
  const mask = [Array.from({ length: P }, (_, p) => (p < D * O ? 1 : 0)), new Array<number>(P).fill(1)];
  const run = async (masked: boolean) => {
    const session = await createSession(buildSgldGraph(linear, shape(2, 3), 'sgld', masked));
    const out = await runSession(session, masked ? { ...base, [IO.mask]: float([2, P], mask.flat()) } : base);
    await session.release();
    return out[IO.paramsOut]!.data as Float32Array;
  };
  const [withMask, without] = [await run(true), await run(false)];
  for (let p = 0; p < P; p++) {
    if (p < D * O) assert.notEqual(withMask[p], w0[p], `chain 0 weight ${p} did not move`);
    else assert.equal(withMask[p], Math.fround(w0[p]!), `chain 0 weight ${p} left w₀`);
    assert.equal(withMask[P + p], without[P + p], `chain 1 weight ${p}: a mask of ones changed it`);
  }
});

test('per-step diagnostics: gradient, noise and pull norms, distance, and devinterp\'s MALA acceptance, by hand', T, async () => {
  const h: Hyper = { lr: 0.05, nbeta: 7, localization: 2, weightDecay: 0.1, noiseLevel: 1 };
  // Its own stream: the values must not depend on which other tests ran first.
  const own = new Pcg32(2024, 7);
  const w0 = randoms(P, own);
  const start = randoms(P, own);
  const indices = [[[0, 3, 5]], [[2, 4, 6]]];
  const weights = indices.map((step) => step.map((rows) => rows.map(() => Math.fround(1 / 3))));
  // Noise large enough that MALA's acceptance of the move is neither sure nor hopeless.
  const noise = indices.map(() => [randoms(P, own, 4)]);
  const run = async (K: number) => {
    const session = await createSession(buildSgldGraph(linear, shape(1, 3)));
    const out = await runSession(session, feeds([start], [w0], [h], indices.slice(0, K), weights.slice(0, K), undefined, noise.slice(0, K)));
    await session.release();
    return out;
  };
  const first = await run(1);
  const both = await run(2);
  const w1 = Array.from(first[IO.paramsOut]!.data as Float32Array);
  const sq = (x: number[]) => x.reduce((a, v) => a + v * v, 0);
  const at = (w: number[], k: number) => {
    const { loss, grad } = lossAndGrad(w, indices[k]![0]!, weights[k]![0]!);
    const drift = w.map((x, p) => h.nbeta * grad[p]! + h.weightDecay * x + h.localization * (x - w0[p]!));
    const energy = h.nbeta * loss + (h.localization / 2) * sq(w.map((x, p) => x - w0[p]!)) + (h.weightDecay / 2) * sq(w);
    return { grad, drift, energy };
  };
  const [a0, a1] = [at(start, 0), at(w1, 1)];
  const get = (name: string, k: number) => (both[name]!.data as Float32Array)[k]!;
  const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= 1e-4 * Math.max(1e-3, Math.abs(want)), `${what}: ${got} vs ${want}`);
  close(get('grad_norm', 0), Math.sqrt(sq(a0.grad)), 'gradient norm');
  close(get('pull_norm', 0), h.localization * Math.sqrt(sq(start.map((x, p) => x - w0[p]!))), 'pull norm');
  close(get('distance', 1), Math.sqrt(sq(w1.map((x, p) => x - w0[p]!))), 'distance at step 1');
  // The noise of step 0 is w1 minus the drift step.
  close(get('noise_norm', 0), Math.sqrt(sq(w1.map((x, p) => x - (start[p]! - (h.lr / 2) * a0.drift[p]!)))), 'noise norm');
  const back = sq(start.map((x, p) => x - w1[p]! + (h.lr / 2) * a1.drift[p]!)) / (2 * h.lr);
  const forth = sq(w1.map((x, p) => x - start[p]! + (h.lr / 2) * a0.drift[p]!)) / (2 * h.lr);
  const accept = Math.min(1, Math.exp(a0.energy - a1.energy - back + forth));
  assert.ok(accept > 0.01 && accept < 0.99, `the test's move should be neither sure nor hopeless (${accept})`);
  close(get('mala_acceptance', 1), accept, 'MALA acceptance of step 0 → 1');
});

test('each chain draws its own noise and minibatches: the same whatever chains run beside it and however many steps a run takes', T, async () => {
  const w0 = randoms(P, rng, 0.1);
  const chain = (stream: number) => ({ w0: Float32Array.from(w0), lr: 0.01, nbeta: 2, localization: 1, weightDecay: 0, noiseLevel: 1, rng: new Pcg32(3, stream) });
  const sample = (streams: number[], stepsPerRun: number, maxChains: number) =>
    sampleChains(linear, streams.map(chain), data, { device: 'cpu', threads: 1, maxChains, batchSize: 3, schedule: { burnin: 2, draws: 9, thin: 2 }, stepsPerRun });
  const [alone] = await sample([5], 20, 8);
  const together = await sample([4, 5, 6], 3, 8);
  const split = await sample([4, 5, 6], 7, 1);
  // One chain per graph: the same graph, the same bits; beside others, the same up to rounding.
  assert.deepEqual(split[1]!.losses, alone!.losses);
  const close = (a: Float32Array, b: Float32Array) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-5 * Math.abs(b[i]!), `draw ${i}: ${v} vs ${b[i]}`));
  close(together[1]!.losses, alone!.losses);
  close(together[0]!.losses, split[0]!.losses);
  // Different streams, different chains.
  assert.notDeepEqual(together[0]!.losses, together[1]!.losses);
});

test('a chain whose loss turns NaN is marked diverged; the other chains go on', T, async () => {
  const w0 = randoms(P, rng, 0.1);
  const chain = (lr: number, stream: number) => ({ w0: Float32Array.from(w0), lr, nbeta: 1, localization: 0, weightDecay: 0, noiseLevel: 1, rng: new Pcg32(1, stream) });
  const runs = await sampleChains(linear, [chain(1e-3, 0), chain(1e38, 1)], data, {
    device: 'cpu',
    threads: 1,
    maxChains: 8,
    batchSize: 4,
    schedule: { burnin: 1, draws: 5, thin: 1 },
    stepsPerRun: 2,
  });
  assert.equal(runs[0]!.divergence, undefined);
  assert.ok(runs[0]!.losses.every(Number.isFinite));
  const d = runs[1]!.divergence;
  assert.ok(d, 'the chain with ε = 1e38 diverges');
  assert.equal(d.draw, d.step === 0 ? null : d.step - 1);
  assert.ok(runs[1]!.losses.slice(d.draw ?? 0).every(Number.isNaN), 'no draw is kept from the divergence on');
});
