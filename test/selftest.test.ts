// The known-λ self-test: Aoyagi–Watanabe's formula on cases with a known answer, the models'
// true parameters minimising their empirical loss, and `pipeline selftest --quick` passing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataType } from '../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../pipeline/lib/onnx/ort.ts';
import { normalCrossing, reducedRankRegression, rrrLambda } from '../pipeline/lib/sgld/known-lambda.ts';
import { pipeline, tempDir } from './helpers/cli.ts';

test('reduced-rank regression λ: the regular case is d/2, y = b·a·x is 1/2, and each branch of the formula', () => {
  assert.equal(rrrLambda(1, 1, 1, 0), 1 / 2);
  // Full rank: regular, d = H(M + N) − H² effective parameters.
  assert.equal(rrrLambda(2, 2, 2, 2), 2);
  assert.equal(rrrLambda(3, 3, 3, 1), 4); // even sum
  assert.equal(rrrLambda(4, 3, 2, 0), 3); // odd sum: +1
  assert.equal(rrrLambda(1, 5, 2, 0), (2 * 1 - 0 + 0) / 2); // M + H < N + r
  assert.equal(rrrLambda(5, 1, 2, 0), (2 * 1 - 0 + 0) / 2); // N + H < M + r
  assert.equal(rrrLambda(1, 1, 5, 1), 1 / 2); // M + N < H + r
});

test('the known-λ models\' true parameters minimise their empirical MSE (the noise has no linear fit on x)', async () => {
  for (const known of [reducedRankRegression(3, 2, 2, 1, 200, 3), normalCrossing([1, 2], 200, 3)]) {
    const session = await createSession(known.model);
    const pred = (await runSession(session, { x: known.x })).y!.data as Float32Array;
    await session.release();
    const [n, M] = known.x.dims as [number, number];
    const N = known.outputs;
    const x = known.x.data as Float32Array;
    const y = known.y.data as Float32Array;
    // The gradient of the MSE in the prediction's linear directions: Σ_rows x_i·(pred − y)_j.
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let g = 0;
        for (let k = 0; k < n; k++) g += x[k * M + i]! * (pred[k * N + j]! - y[k * N + j]!);
        assert.ok(Math.abs(g / n) < 1e-6, `${known.name}: Σ x_${i}·residual_${j} / n = ${g / n}`);
      }
    }
    assert.equal(known.y.dataType, DataType.FLOAT);
  }
});

test('pipeline selftest --quick: λ̂ within 10 % (or 2 se) of the true λ', { timeout: 300_000 }, async (t) => {
  const r = await pipeline(['selftest', '--quick', '--json'], tempDir(t));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const { tolerance, rows } = JSON.parse(r.stdout) as { tolerance: number; rows: { model: string; lambda: number; llc_mean: number; llc_se: number; relative_error: number; ok: boolean }[] };
  assert.equal(tolerance, 0.1);
  assert.deepEqual(rows.map((row) => [row.model, row.lambda]), [['reduced-rank regression M=3 N=3 H=3 r=1', 4], ['normal crossing p=(1, 2)', 0.25]]);
  for (const row of rows) assert.ok(row.ok && Math.abs(row.llc_mean - row.lambda) <= Math.max(0.1 * row.lambda, 2 * row.llc_se), `${row.model}: λ̂ ${row.llc_mean} ± ${row.llc_se} vs ${row.lambda}`);
});
