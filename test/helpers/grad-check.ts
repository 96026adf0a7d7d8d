// Checks a gradient rule against central finite differences, both computed in onnxruntime.
// Each case is a small graph y = f(inputs); the loss is Σ y·w with a random w, so the check
// covers the whole vector-Jacobian product. checkCase runs it with static input shapes or
// with every dim a distinct symbol, which forces the runtime-shape paths (dynamic
// unbroadcast, sizes from Shape). float64 wherever onnxruntime's CPU kernels take doubles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { addModelGradients } from '../../pipeline/lib/autodiff/grad.ts';
import { GraphBuilder, attr, modelOf, tensor } from '../../pipeline/lib/onnx/builder.ts';
import { DataType, type Dim, type Model, type TensorValue } from '../../pipeline/lib/onnx/ir.ts';
import { createSession, runSession } from '../../pipeline/lib/onnx/ort.ts';

export type Kind = 'float' | 'int64' | 'bool';

export interface InputSpec {
  dims: number[];
  kind?: Kind;
  /** Fixed contents; otherwise random floats (uniform in ±1, or in [0.5, 1.5] if positive). */
  values?: number[];
  positive?: boolean;
  /** A float input that is fed but not differentiated. */
  constant?: boolean;
}

export interface CaseContext {
  b: GraphBuilder;
  x: Record<string, string>;
  /** Float constant of the case's element type. */
  float(value: number | number[], dims?: number[]): string;
  ints(values: number[]): string;
  type: DataType;
}

export interface Case {
  name: string;
  inputs: Record<string, InputSpec>;
  y: (c: CaseContext) => string;
  /** onnxruntime's CPU kernel for some op takes no double: check in float32 instead. */
  float32?: boolean;
  /** Relative tolerance, where the default (1e-6 in float64, 2e-3 in float32) does not fit
   * (say, a float32 sum over many terms). */
  tolerance?: number;
  opset?: number;
}

export const rand = (() => {
  let s = 12345;
  return (): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
})();

export function makeTensor(type: DataType, dims: number[], values: number[]): TensorValue {
  switch (type) {
    case DataType.DOUBLE: return tensor.float64(dims, values);
    case DataType.FLOAT: return tensor.float32(dims, values);
    case DataType.INT64: return tensor.int64(dims, values);
    default: return tensor.bool(dims, values);
  }
}

function inputType(spec: InputSpec, float: DataType): DataType {
  return spec.kind === 'int64' ? DataType.INT64 : spec.kind === 'bool' ? DataType.BOOL : float;
}

/** The case's graph with loss = Σ y·w (w an input) and its feeds; w's shape comes from a
 * first run that computes y. */
async function lossModel(c: Case, symbolic: boolean): Promise<{ model: Model; feeds: Record<string, TensorValue>; wrt: string[] }> {
  const type = c.float32 ? DataType.FLOAT : DataType.DOUBLE;
  const b = new GraphBuilder(c.name);
  const x: Record<string, string> = {};
  const feeds: Record<string, TensorValue> = {};
  const wrt: string[] = [];
  for (const [name, spec] of Object.entries(c.inputs)) {
    const t = inputType(spec, type);
    const dims: Dim[] = symbolic ? spec.dims.map((_, i) => `${name}_d${i}`) : spec.dims;
    x[name] = b.input(name, t, dims);
    const count = spec.dims.reduce((p, q) => p * q, 1);
    const values = spec.values ?? Array.from({ length: count }, () => (spec.positive ? 0.5 + rand() : 2 * rand() - 1));
    feeds[name] = makeTensor(t, spec.dims, values);
    if (t === type && !spec.constant) wrt.push(name);
  }
  const ctx: CaseContext = {
    b,
    x,
    type,
    float: (value, dims) => b.constant(makeTensor(type, dims ?? [], typeof value === 'number' ? [value] : value)),
    ints: (values) => b.ints(values),
  };
  const y = c.y(ctx);
  const forward = modelOf({ ...b.build(), outputs: [{ name: y, elemType: type }] });
  if (c.opset) forward.opsetImports = [{ domain: '', version: c.opset }];
  const probe = await createSession(forward);
  const yDims = (await runSession(probe, feeds))[y]!.dims;
  await probe.release();
  const w = b.input('w', type, yDims);
  feeds.w = makeTensor(type, yDims, Array.from({ length: yDims.reduce((p, q) => p * q, 1) }, () => 2 * rand() - 1));
  b.op('ReduceSum', [b.op('Mul', [y, w])], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  const model: Model = { ...forward, graph: { ...b.build(), outputs: [{ name: 'loss', elemType: type, shape: [] }] } };
  return { model, feeds, wrt };
}

async function lossAt(session: InferenceSession, feeds: Record<string, TensorValue>): Promise<number> {
  return (await runSession(session, feeds, ['loss'])).loss!.data[0] as number;
}

/** Analytic gradient vs central differences on up to `maxCoords` coordinates per input. */
export async function checkCase(c: Case, symbolic: boolean, maxCoords = 48): Promise<void> {
  const { model, feeds, wrt } = await lossModel(c, symbolic);
  const { model: gradModel, gradients } = addModelGradients(model, 'loss', wrt);
  const gradSession = await createSession(gradModel);
  const lossSession = await createSession(model);
  const analytic = await runSession(gradSession, feeds);
  const [h, defaultTol] = c.float32 ? [1e-2, 2e-3] : [1e-6, 1e-6];
  const tol = c.tolerance ?? defaultTol;
  const label = `${c.name} (${symbolic ? 'symbolic' : 'static'} shapes)`;
  for (const name of wrt) {
    const g = analytic[gradients[name]!]!;
    const base = feeds[name]!;
    assert.deepEqual(g.dims, base.dims, `${label}: gradient of ${name} has shape [${g.dims}], expected [${base.dims}]`);
    const n = base.data.length;
    const coords = n <= maxCoords ? [...Array(n).keys()] : Array.from({ length: maxCoords }, () => Math.floor(rand() * n));
    for (const j of coords) {
      const shifted = (delta: number): Record<string, TensorValue> => {
        const data = base.data.slice() as Float64Array;
        data[j] = (data[j] as number) + delta;
        return { ...feeds, [name]: { ...base, data } };
      };
      const fd = ((await lossAt(lossSession, shifted(h))) - (await lossAt(lossSession, shifted(-h)))) / (2 * h);
      const got = g.data[j] as number;
      assert.ok(Math.abs(got - fd) <= tol * (1 + Math.abs(fd)), `${label}: d loss / d ${name}[${j}] = ${got}, finite differences give ${fd}`);
    }
  }
  await gradSession.release();
  await lossSession.release();
}

export const f = (dims: number[], extra: Partial<InputSpec> = {}): InputSpec => ({ dims, ...extra });
export const i64 = (dims: number[], values: number[]): InputSpec => ({ dims, kind: 'int64', values });

/** A test per case, each checked with static and with symbolic shapes. */
export function testCases(cases: Case[]): void {
  for (const c of cases) {
    test(`gradient rule: ${c.name}`, { timeout: 120_000 }, async () => {
      await checkCase(c, false);
      await checkCase(c, true);
    });
  }
}
