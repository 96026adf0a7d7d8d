// Models whose learning coefficient λ is known in closed form, as ONNX graphs with data drawn
// from their true parameter, for `pipeline selftest`: the estimator checked against theory.
// Targets carry Gaussian noise of variance ½, so the per-element MSE is the negative
// log-likelihood per output up to a constant, and nβ = n·(outputs per row) is β = 1. The
// noise is made orthogonal to the inputs (its least-squares fit on x removed), so the true
// parameter minimises the empirical loss exactly: λ̂ is measured at a minimum, as it must be.
//   Reduced-rank regression y = B·A·x, A [H,M], B [N,H], true rank r (Aoyagi & Watanabe
//   2005): with M inputs, N outputs, H hidden units —
//     N + r ≤ M + H, M + r ≤ N + H, H + r ≤ M + N:
//       λ = (2(H+r)(M+N) − (M−N)² − (H+r)² + [M+H+N+r odd]) / 8
//     M + H < N + r: λ = (HM − Hr + Nr) / 2;   N + H < M + r: λ = (HN − Hr + Mr) / 2;
//     M + N < H + r: λ = MN / 2.
//   Normal crossing y = x·Π wᵢ^pᵢ at w = 0 (the exponents p a buffer): λ = 1 / (2·max pᵢ).
import { Pcg32, standardNormal } from '../util/prng.ts';
import { GraphBuilder, attr, modelOf, tensor } from '../onnx/builder.ts';
import { DataType, type Model, type TensorValue } from '../onnx/ir.ts';

export interface KnownLambdaCase {
  name: string;
  lambda: number;
  model: Model;
  x: TensorValue;
  y: TensorValue;
  /** Outputs per row: nβ = rows · outputs. */
  outputs: number;
}

export function rrrLambda(M: number, N: number, H: number, r: number): number {
  if (M + H < N + r) return (H * M - H * r + N * r) / 2;
  if (N + H < M + r) return (H * N - H * r + M * r) / 2;
  if (M + N < H + r) return (M * N) / 2;
  const odd = (M + H + N + r) % 2;
  return (2 * (H + r) * (M + N) - (M - N) ** 2 - (H + r) ** 2 + odd) / 8;
}

function normals(rng: Pcg32, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * standardNormal(rng));
}

const NOISE_STD = Math.SQRT1_2;

/** E − X·(XᵀX)⁻¹·XᵀE for X [n,M], E [n,N] (row-major), in float64: noise with no linear fit on x. */
function orthogonalNoise(X: Float32Array, E: Float32Array, n: number, M: number, N: number): Float64Array {
  // Normal equations (XᵀX)·Z = XᵀE, solved by Gaussian elimination with partial pivoting.
  const A = Array.from({ length: M }, (_, i) => Array.from({ length: M + N }, (_, j) => {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += X[k * M + i]! * (j < M ? X[k * M + j]! : E[k * N + (j - M)]!);
    return sum;
  }));
  for (let col = 0; col < M; col++) {
    const pivot = A.slice(col).reduce((best, row, i) => (Math.abs(row[col]!) > Math.abs(A[best]![col]!) ? col + i : best), col);
    [A[col], A[pivot]] = [A[pivot]!, A[col]!];
    for (let row = 0; row < M; row++) {
      if (row === col) continue;
      const f = A[row]![col]! / A[col]![col]!;
      for (let j = col; j < M + N; j++) A[row]![j]! -= f * A[col]![j]!;
    }
  }
  const Z = A.map((row, i) => row.slice(M).map((v) => v / A[i]![i]!));
  return Float64Array.from({ length: n * N }, (_, k) => {
    const [row, j] = [Math.floor(k / N), k % N];
    let fit = 0;
    for (let i = 0; i < M; i++) fit += X[row * M + i]! * Z[i]![j]!;
    return E[k]! - fit;
  });
}

/** y = x·Aᵀ·Bᵀ with A = [I_r 0; 0 0] [H,M] and B = [I_r 0; 0 0] [N,H] (rank r), n rows. */
export function reducedRankRegression(M: number, N: number, H: number, r: number, n: number, seed: number): KnownLambdaCase {
  if (!(r >= 0 && r <= Math.min(M, N, H))) throw new Error(`rrr: rank ${r} must lie in [0, min(M, N, H)] = [0, ${Math.min(M, N, H)}]`);
  const eye = (rows: number, cols: number) => Array.from({ length: rows * cols }, (_, k) => (Math.floor(k / cols) === k % cols && k % cols < r ? 1 : 0));
  const g = new GraphBuilder('reduced_rank_regression');
  const x = g.input('x', DataType.FLOAT, ['batch', M]);
  const At = g.initializer('A_t', tensor.float32([M, H], eye(M, H)));
  const Bt = g.initializer('B_t', tensor.float32([H, N], eye(H, N)));
  g.op('MatMul', [g.op('MatMul', [x, At]), Bt], {}, { outputs: ['y'] });
  g.output('y', DataType.FLOAT, ['batch', N]);
  const rng = new Pcg32(seed, 0x5e1f);
  const xs = normals(rng, n * M);
  const noise = orthogonalNoise(xs, normals(rng, n * N, NOISE_STD), n, M, N);
  // The true map keeps the first r coordinates of x.
  const ys = Float32Array.from({ length: n * N }, (_, k) => (k % N < r ? xs[Math.floor(k / N) * M + (k % N)]! : 0) + noise[k]!);
  return {
    name: `reduced-rank regression M=${M} N=${N} H=${H} r=${r}`,
    lambda: rrrLambda(M, N, H, r),
    model: modelOf(g.build()),
    x: { dataType: DataType.FLOAT, dims: [n, M], data: xs },
    y: { dataType: DataType.FLOAT, dims: [n, N], data: ys },
    outputs: N,
  };
}

/** y = x·Π wᵢ^pᵢ with w = 0 the true parameter and p a buffer, n rows of x ~ N(0, 1). */
export function normalCrossing(p: readonly number[], n: number, seed: number): KnownLambdaCase {
  if (!p.length || !p.every((e) => Number.isInteger(e) && e >= 1)) throw new Error(`normal crossing: exponents must be positive integers, got [${p}]`);
  const g = new GraphBuilder('normal_crossing');
  const x = g.input('x', DataType.FLOAT, ['batch', 1]);
  const w = g.initializer('w', tensor.float32([p.length], new Array<number>(p.length).fill(0)));
  const e = g.initializer('p', tensor.float32([p.length], p));
  g.op('Mul', [x, g.op('ReduceProd', [g.op('Pow', [w, e])], { keepdims: attr.int(1) })], {}, { outputs: ['y'] });
  g.output('y', DataType.FLOAT, ['batch', 1]);
  const rng = new Pcg32(seed, 0xc055);
  const xs = normals(rng, n);
  return {
    name: `normal crossing p=(${p.join(', ')})`,
    lambda: 1 / (2 * Math.max(...p)),
    model: modelOf(g.build()),
    x: { dataType: DataType.FLOAT, dims: [n, 1], data: xs },
    y: { dataType: DataType.FLOAT, dims: [n, 1], data: Float32Array.from(orthogonalNoise(xs, normals(rng, n, NOISE_STD), n, 1, 1)) },
    outputs: 1,
  };
}
