// A user's dataset for `pipeline llc`: a safetensors file with `x` (the model's input rows)
// and `y` (the targets), checked against the model before any sampling starts, so shape
// mistakes fail with one clear line instead of a broadcast that silently changes the loss.
// Safe conversions (float64 → float32, int32 → int64, a y differing from the output only
// by axes of size 1) are made and reported as notes instead of refused.
import { readFileSync } from 'node:fs';
import { decodeSafetensors, requireTensor, type SafeTensor } from '../util/safetensors.ts';
import { DataType, type Dim, type Model, type TensorValue } from '../onnx/ir.ts';
import { createSession, runSession, type Device } from '../onnx/ort.ts';
import type { Loss } from './update.ts';
import type { ImportedModel } from './sampled-model.ts';
import type { Dataset } from './sessions.ts';

export const LOSS_KINDS = ['mse', 'ce'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

export interface Checked {
  data: Dataset;
  /** What was converted or reshaped, one sentence each. */
  notes: string[];
}

/** x as the model's input type takes it: float64 → float32 and int32 → int64 are lossless
 * enough to do with a note; anything else is refused. */
function modelInput(x: SafeTensor, imported: ImportedModel, path: string, notes: string[]): TensorValue {
  const want = imported.model.inputType;
  const into = `the model's input "${imported.input}" takes ${DataType[want] ?? want}`;
  if (want === DataType.FLOAT && x.dtype === 'F32') return { dataType: want, dims: x.shape, data: x.data };
  if (want === DataType.INT64 && x.dtype === 'I64') return { dataType: want, dims: x.shape, data: x.data };
  if (want === DataType.FLOAT && x.dtype === 'F64') {
    notes.push(`${path}: x is F64; converted to float32 (${into})`);
    return { dataType: want, dims: x.shape, data: Float32Array.from(x.data as Float64Array) };
  }
  if (want === DataType.INT64 && x.dtype === 'I32') {
    notes.push(`${path}: x is I32; converted to int64 (${into})`);
    return { dataType: want, dims: x.shape, data: BigInt64Array.from(x.data as Int32Array, (v) => BigInt(v)) };
  }
  throw new Error(`${path}: x is ${x.dtype}, but ${into}`);
}

/** y as the loss compares it: float32 targets (MSE) or int64 class indices (cross-entropy). */
function targets(y: SafeTensor, loss: LossKind, path: string, notes: string[]): TensorValue {
  if (loss === 'mse') {
    if (y.dtype === 'F32') return { dataType: DataType.FLOAT, dims: y.shape, data: y.data };
    if (y.dtype === 'F64') {
      notes.push(`${path}: y is F64; converted to float32`);
      return { dataType: DataType.FLOAT, dims: y.shape, data: Float32Array.from(y.data as Float64Array) };
    }
    throw new Error(`${path}: y is ${y.dtype}, but --loss mse compares float targets (F32 or F64); integer class indices need --loss ce`);
  }
  if (y.dtype === 'I64') return { dataType: DataType.INT64, dims: y.shape, data: y.data };
  if (y.dtype === 'I32') return { dataType: DataType.INT64, dims: y.shape, data: BigInt64Array.from(y.data as Int32Array, (v) => BigInt(v)) };
  throw new Error(`${path}: y is ${y.dtype}, but --loss ce takes integer class indices (I64 or I32); float targets need --loss mse`);
}

export function readDataset(path: string, modelPath: string, imported: ImportedModel, onnx: Model, loss: LossKind): Checked {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read the data: ${(e as Error).message}`);
  }
  const { tensors } = decodeSafetensors(bytes, path);
  const notes: string[] = [];
  const x = modelInput(requireTensor(tensors, 'x', path), imported, path, notes);
  const y = targets(requireTensor(tensors, 'y', path), loss, path, notes);
  if (x.dims.length < 1 || y.dims.length < 1 || x.dims[0] !== y.dims[0]) {
    throw new Error(`${path}: x [${x.dims}] and y [${y.dims}] must hold the same number of rows along their first axis`);
  }
  if (x.dims[0] === 0) throw new Error(`${path}: the dataset has no rows`);
  const declared = onnx.graph.inputs.find((i) => i.name === imported.input)?.shape;
  if (declared && typeof declared[0] === 'number') {
    throw new Error(
      `${modelPath}: the model's input "${imported.input}" is [${declared}], its batch dimension fixed at ${declared[0]}, but minibatches of other sizes are fed to it — ` +
        `export it with a dynamic batch axis (torch.onnx.export(..., dynamic_axes={"${imported.input}": {0: "batch"}}))`,
    );
  }
  const fits = (d: Dim, i: number) => typeof d !== 'number' || d === x.dims[i];
  if (declared && (declared.length !== x.dims.length || !declared.every((d, i) => i === 0 || fits(d, i)))) {
    throw new Error(`${path}: x rows have shape [${x.dims.slice(1)}], but the model's input "${imported.input}" is [${declared}]`);
  }
  return { data: { x, y }, notes };
}

const withoutOnes = (dims: readonly number[]) => dims.filter((d) => d !== 1).join();

/**
 * Runs the model as it is on the first rows and checks its output against y: a float
 * prediction shaped like the rows of y (MSE), or logits [rows, ..., classes] for class
 * indices of the rows' shape without the last axis, each in [0, classes) (cross-entropy).
 * A y whose rows differ from that shape only by axes of size 1 ([n] against [n, 1]) is
 * reshaped, with a note. Returns the data with its loss.
 */
export async function fitTargets(bytes: Uint8Array, imported: ImportedModel, checked: Checked, device: Device, source: string, loss: LossKind): Promise<Checked> {
  const { data } = checked;
  const notes = [...checked.notes];
  const n = data.x.dims[0]!;
  const rows = Math.min(2, n);
  const rowSize = data.x.data.length / n;
  const x: TensorValue = { dataType: data.x.dataType, dims: [rows, ...data.x.dims.slice(1)], data: data.x.data.slice(0, rows * rowSize) as TensorValue['data'] };
  const out = imported.output;
  const session = await createSession(bytes, { device });
  let pred: TensorValue;
  try {
    pred = (await runSession(session, { [imported.input]: x }, [out]))[out]!;
  } catch (e) {
    throw new Error(`${source}: the model fails on the first ${rows} rows of x (${(e as Error).message.replace(/\s+/g, ' ').trim()}); a model exported for one fixed batch size must be exported with a dynamic batch axis`);
  } finally {
    await session.release();
  }
  if (pred.dataType !== DataType.FLOAT) throw new Error(`${source}: the output "${out}" is ${DataType[pred.dataType]}; --loss ${loss} needs a float ${loss === 'ce' ? 'logits tensor' : 'prediction'}`);
  const yRow = data.y.dims.slice(1);
  let want: number[];
  let lossSpec: Loss;
  if (loss === 'ce') {
    const classes = pred.dims.at(-1)!;
    if (pred.dims.length < 2 || classes < 2) {
      throw new Error(`${source}: for ${rows} rows the output "${out}" has shape [${pred.dims}]; --loss ce needs logits with at least 2 classes on the last axis ([rows, ..., classes])`);
    }
    want = pred.dims.slice(1, -1);
    lossSpec = { kind: 'ce', classes };
    if (withoutOnes(yRow) !== withoutOnes(want)) {
      throw new Error(`${source}: for ${rows} rows the output "${out}" has shape [${pred.dims}] (logits of ${classes} classes), but y has rows of shape [${yRow}] (expected class indices of shape [${[rows, ...want]}])`);
    }
    checkClasses(data.y.data as BigInt64Array, classes, want.reduce((a, b) => a * b, 1), out, source);
  } else {
    want = pred.dims.slice(1);
    lossSpec = { kind: 'mse' };
    if (withoutOnes(yRow) !== withoutOnes(want)) {
      throw new Error(`${source}: for ${rows} rows the output "${out}" has shape [${pred.dims}], but y has rows of shape [${yRow}] (expected [${[rows, ...want]}])`);
    }
  }
  let y = data.y;
  if (yRow.join() !== want.join()) {
    y = { ...y, dims: [n, ...want] };
    notes.push(`y [${data.y.dims}] read as [${y.dims}] to match the output "${out}" [${pred.dims.map((d, i) => (i === 0 ? 'rows' : d))}]`);
  }
  return { data: { ...data, y, loss: lossSpec }, notes };
}

/** Every class index in [0, classes); the first that is not is named with its row. */
function checkClasses(y: BigInt64Array, classes: number, perRow: number, out: string, source: string): void {
  const bad = y.findIndex((v) => v < 0n || v >= BigInt(classes));
  if (bad < 0) return;
  const v = y[bad]!;
  const ignore = v === -100n ? " (torch's ignore_index −100 is not supported: leave those positions out of y and x)" : '';
  throw new Error(`${source}: y holds class ${v} at row ${Math.floor(bad / perRow)}, but the output "${out}" has ${classes} classes on its last axis, so class indices run from 0 to ${classes - 1}${ignore}`);
}
