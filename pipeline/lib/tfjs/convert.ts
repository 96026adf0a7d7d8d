// ONNX tensor values ↔ tfjs tensors. tfjs has no int64, so ONNX int64 (tokens, shapes) lives
// as int32; values outside the int32 range are refused rather than wrapped.
import * as tf from '@tensorflow/tfjs-core';
import { DataType, type TensorValue } from '../onnx/ir.ts';

/** The tfjs dtype an ONNX element type is held in. */
export function tfDtype(dataType: DataType, what: string): 'float32' | 'int32' | 'bool' {
  switch (dataType) {
    case DataType.FLOAT: return 'float32';
    case DataType.INT64: case DataType.INT32: case DataType.UINT8: case DataType.INT8: return 'int32';
    case DataType.BOOL: return 'bool';
    default: throw new Error(`${what}: ONNX data type ${DataType[dataType] ?? dataType} has no tfjs equivalent`);
  }
}

export function toTf(value: TensorValue, what = 'tensor'): tf.Tensor {
  const dtype = tfDtype(value.dataType, what);
  const { data, dims } = value;
  if (data instanceof BigInt64Array) {
    const out = new Int32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v > 2147483647n || v < -2147483648n) throw new Error(`${what}: int64 value ${v} does not fit tfjs int32`);
      out[i] = Number(v);
    }
    return tf.tensor(out, dims, dtype);
  }
  if (data instanceof Float64Array) throw new Error(`${what}: float64 data has no tfjs equivalent`);
  return tf.tensor(dtype === 'int32' && !(data instanceof Int32Array) ? Int32Array.from(data) : data, dims, dtype);
}
