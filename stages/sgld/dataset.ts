// A user's dataset for `pipeline llc`: a safetensors file with `x` (the model's input rows)
// and `y` (the targets), checked against the model before any sampling starts, so shape
// mistakes fail with one clear line instead of a broadcast that silently changes the loss.
import { readFileSync } from 'node:fs';
import { decodeSafetensors, requireTensor, type SafeDType } from '../lib/safetensors.ts';
import { DataType, type Model, type TensorValue } from '../onnx/ir.ts';
import { createSession, runSession, type Device } from '../onnx/ort.ts';
import type { ImportedModel } from './model.ts';
import type { Dataset } from './sampler.ts';

const DTYPES: Partial<Record<SafeDType, DataType>> = { F32: DataType.FLOAT, F64: DataType.DOUBLE, I64: DataType.INT64, I32: DataType.INT32 };

export function readDataset(path: string, imported: ImportedModel, onnx: Model): Dataset {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read the data: ${(e as Error).message}`);
  }
  const { tensors } = decodeSafetensors(bytes, path);
  const x = requireTensor(tensors, 'x', path);
  const y = requireTensor(tensors, 'y', path, 'F32');
  const want = imported.model.inputType;
  if (DTYPES[x.dtype] !== want) throw new Error(`${path}: x is ${x.dtype}, but the model's input "${imported.input}" takes ${DataType[want] ?? want}`);
  if (x.shape.length < 1 || y.shape.length < 1 || x.shape[0] !== y.shape[0]) {
    throw new Error(`${path}: x [${x.shape}] and y [${y.shape}] must hold the same number of rows along their first axis`);
  }
  if (x.shape[0] === 0) throw new Error(`${path}: the dataset has no rows`);
  const declared = onnx.graph.inputs.find((i) => i.name === imported.input)?.shape;
  const fits = (d: number | string, i: number) => typeof d !== 'number' || d === x.shape[i];
  if (declared && (declared.length !== x.shape.length || !declared.every((d, i) => i === 0 || fits(d, i)))) {
    throw new Error(`${path}: x rows have shape [${x.shape.slice(1)}], but the model's input "${imported.input}" is [${declared}]`);
  }
  return {
    x: { dataType: want, dims: x.shape, data: x.data as TensorValue['data'] },
    y: { dataType: DataType.FLOAT, dims: y.shape, data: y.data },
  };
}

/** Runs the model as it is on the first rows and checks that its output is a float
 * prediction shaped like the rows of y. */
export async function checkPrediction(bytes: Uint8Array, imported: ImportedModel, data: Dataset, device: Device, source: string): Promise<void> {
  const rows = Math.min(2, data.x.dims[0]!);
  const rowSize = data.x.data.length / data.x.dims[0]!;
  const x: TensorValue = { dataType: data.x.dataType, dims: [rows, ...data.x.dims.slice(1)], data: data.x.data.slice(0, rows * rowSize) as TensorValue['data'] };
  const session = await createSession(bytes, { device });
  try {
    const pred = (await runSession(session, { [imported.input]: x }, [imported.output]))[imported.output]!;
    const want = [rows, ...data.y.dims.slice(1)];
    if (pred.dataType !== DataType.FLOAT) throw new Error(`${source}: the output "${imported.output}" is ${DataType[pred.dataType]}; MSE needs a float prediction`);
    if (pred.dims.join() !== want.join()) {
      throw new Error(`${source}: for ${rows} rows the output "${imported.output}" has shape [${pred.dims}], but y has rows of shape [${data.y.dims.slice(1)}] (expected [${want}])`);
    }
  } finally {
    await session.release();
  }
}
