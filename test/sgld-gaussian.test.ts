// SGLD against an exact answer: a linear model at its least-squares optimum has a Gaussian
// posterior, and full-batch SGLD with step ε at inverse temperature nβ (γ = λ = 0) is a linear
// recursion whose stationary law is known. With H the Hessian of the mean loss, eigenvalues hᵢ,
// each eigendirection has variance 1/(nβ·hᵢ·(1 − ε·nβ·hᵢ/4)), so
//   E[nβ·(L − L₀)] = Σᵢ ½ / (1 − ε·nβ·hᵢ/4)
// (d/2 as ε → 0, the discretisation's excess beside it). λ̂ from `pipeline llc` must meet it
// within its standard error: noise or update drawn wrong shows here first.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlcSummary } from '../schemas/llc-summary.ts';
import { GraphBuilder, modelOf, tensor } from '../pipeline/lib/onnx/builder.ts';
import { DataType } from '../pipeline/lib/onnx/ir.ts';
import { writeModelFile } from '../pipeline/lib/onnx/io.ts';
import { encodeSafetensors } from '../pipeline/lib/util/safetensors.ts';
import { Pcg32, standardNormal } from '../pipeline/lib/util/prng.ts';
import { pipeline, tempDir } from './helpers/cli.ts';

const ROWS = 200;
/** Eigenvalues of XᵀX/n; the Hessian of the mean squared error is twice these. */
const D = Array.from({ length: 20 }, (_, i) => 1 + (9 * i) / 19);
const [EPS, NBETA] = [0.01, 10];

/** Columns of x orthogonal with ‖xᵢ‖² = n·dᵢ; y = x·w* plus a residual orthogonal to them. */
function data(rng: Pcg32): { x: Float32Array; y: Float32Array; w: Float32Array } {
  const M = D.length;
  const cols: Float64Array[] = [];
  for (let i = 0; i < M + 1; i++) {
    const v = Float64Array.from({ length: ROWS }, () => standardNormal(rng));
    for (const c of cols) {
      const dot = v.reduce((a, x, k) => a + x * c[k]!, 0);
      v.forEach((_, k) => (v[k]! -= dot * c[k]!));
    }
    const norm = Math.hypot(...v);
    cols.push(v.map((x) => x / norm));
  }
  const w = Float32Array.from({ length: M }, () => standardNormal(rng));
  const x = new Float32Array(ROWS * M);
  const y = new Float32Array(ROWS);
  for (let k = 0; k < ROWS; k++) {
    let fit = 0;
    for (let i = 0; i < M; i++) {
      x[k * M + i] = cols[i]![k]! * Math.sqrt(ROWS * D[i]!);
      fit += x[k * M + i]! * w[i]!;
    }
    // The residual (the last orthonormal column) gives L₀ = 0.01: well above float32's grain.
    y[k] = fit + cols[M]![k]! * Math.sqrt(ROWS * 0.01);
  }
  return { x, y, w };
}

test('full-batch SGLD on a Gaussian posterior gives the exact stationary λ̂ Σ ½/(1 − ε·nβ·hᵢ/4)', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const { x, y, w } = data(new Pcg32(11, 3));
  const g = new GraphBuilder('linear');
  g.input('x', DataType.FLOAT, ['n', D.length]);
  g.op('MatMul', ['x', g.initializer('w', tensor.float32([D.length, 1], w))], {}, { outputs: ['y'] });
  g.output('y', DataType.FLOAT, ['n', 1]);
  writeModelFile(join(dir, 'linear.onnx'), modelOf(g.build()));
  writeFileSync(join(dir, 'data.safetensors'), encodeSafetensors({ x: { dtype: 'F32', shape: [ROWS, D.length], data: x }, y: { dtype: 'F32', shape: [ROWS, 1], data: y } }));
  const out = join(dir, 'summary.json');
  const chains = 16;
  const r = await pipeline(['llc', '--model', join(dir, 'linear.onnx'), '--data', join(dir, 'data.safetensors'), '--out', out, '--lr', String(EPS), '--nbeta', String(NBETA),
    '--localization', '0', '--batch-size', String(ROWS), '--chains', String(chains), '--draws', '2000', '--burnin', '300'], dir);
  assert.equal(r.code, 0, r.stderr);
  const s = LlcSummary.parse(JSON.parse(readFileSync(out, 'utf8')));
  const exact = D.reduce((sum, d) => sum + 0.5 / (1 - (EPS * NBETA * 2 * d) / 4), 0);
  const se = s.llc_std! / Math.sqrt(chains);
  assert.ok(Math.abs(s.llc_mean! - exact) <= 3 * se, `λ̂ ${s.llc_mean} ± ${se} (se) against the exact ${exact}`);
  // The discretisation's excess over d/2 = 10 is far larger than the standard error: the test sees it.
  assert.ok(exact - D.length / 2 > 10 * se, `excess ${exact - D.length / 2} vs se ${se}`);
});
