// Checks on the tensors of a safetensors file: presence, dtype, shape, finite values.
import type { ParamSpec } from '../lib/model/config.ts';
import type { SafeData, SafeDType, SafeTensor, SafeTensors } from '../lib/util/safetensors.ts';
import type { CheckContext } from './context.ts';

/** A dimension the file must have, or undefined where any size will do. */
export type ExpectedShape = readonly (number | undefined)[];

const showShape = (shape: ExpectedShape) => `[${shape.map((d) => d ?? '?').join(', ')}]`;

/** The tensor `name` if it has the dtype and shape expected; otherwise a failure naming the file. */
export function expectTensor(c: CheckContext, file: string, tensors: SafeTensors, name: string, dtype: SafeDType, shape: ExpectedShape): SafeTensor | undefined {
  const t = tensors[name];
  if (!t) {
    c.fail(file, `no tensor "${name}" (it holds: ${Object.keys(tensors).join(', ') || 'nothing'})`);
    return undefined;
  }
  if (t.dtype !== dtype) {
    c.fail(file, `tensor "${name}" is ${t.dtype}, expected ${dtype}`);
    return undefined;
  }
  if (t.shape.length !== shape.length || shape.some((d, i) => d !== undefined && d !== t.shape[i])) {
    c.fail(file, `tensor "${name}" has shape [${t.shape.join(', ')}], expected ${showShape(shape)}`);
    return undefined;
  }
  return t;
}

/** Index of the first NaN or infinite value, or -1. */
export function firstNonFinite(data: SafeData, from = 0, to = data.length): number {
  for (let i = from; i < to; i++) if (!Number.isFinite(Number(data[i]))) return i;
  return -1;
}

/** Row-major index → "[i, j]" for messages. */
export function position(shape: readonly number[], index: number): string {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(index % shape[d]!);
    index = Math.floor(index / shape[d]!);
  }
  return `[${at.join(', ')}]`;
}

/** Fails when a tensor holds a NaN or infinite value; true when all are finite. */
export function expectFinite(c: CheckContext, file: string, name: string, t: SafeTensor): boolean {
  const i = firstNonFinite(t.data);
  if (i >= 0) c.fail(file, `tensor "${name}" holds ${t.data[i]} at ${position(t.shape, i)}`);
  return i < 0;
}

/** The file holds exactly `params` (names and shapes), float32 and finite. */
export function expectParameters(c: CheckContext, file: string, tensors: SafeTensors, params: readonly ParamSpec[]): void {
  const expected = new Set(params.map((p) => p.name));
  const extra = Object.keys(tensors).filter((n) => !expected.has(n));
  if (extra.length) c.fail(file, `holds tensors that are not parameters of the model: ${extra.join(', ')}`);
  for (const p of params) {
    const t = expectTensor(c, file, tensors, p.name, 'F32', p.shape);
    if (t) expectFinite(c, file, p.name, t);
  }
}
