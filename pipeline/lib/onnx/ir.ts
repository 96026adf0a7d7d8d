// The in-memory form of an ONNX model that every part of the project works on: the model
// builder writes it, the tfjs interpreter and the autodiff read it, io.ts turns it into
// bytes and back. It mirrors onnx.proto, keeping only what we use.

/** TensorProto.DataType numbers from onnx.proto. */
export enum DataType {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
  DOUBLE = 11,
}

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

export interface TensorValue {
  dataType: DataType;
  dims: number[];
  data: TensorData;
}

export interface Initializer extends TensorValue {
  name: string;
}

/** A dimension: a size, or a symbolic name such as "batch". */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  elemType: DataType;
  /** Absent when the rank is unknown. */
  shape?: Dim[];
}

export type AttrValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorValue }
  | { kind: 'graph'; value: Graph }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'strings'; value: string[] };

export interface Node {
  name: string;
  opType: string;
  /** '' (or absent) is the default ONNX domain. */
  domain?: string;
  /** '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttrValue>;
}

export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Initializer[];
  valueInfo?: ValueInfo[];
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface Model {
  irVersion: number;
  opsetImports: OpsetImport[];
  producerName: string;
  producerVersion: string;
  graph: Graph;
  docString?: string;
}

/** The opset our own graphs are written in (LayerNormalization needs 17). */
export const OPSET = 17;
/** The IR version that goes with OPSET. */
export const IR_VERSION = 8;

/** The default-domain opset version a model imports. */
export function defaultOpset(model: Model): number {
  const found = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!found) throw new Error('model imports no version of the default ONNX opset');
  return found.version;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
