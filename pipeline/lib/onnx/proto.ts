// Loads schemas/onnx.proto with protobufjs (reflection, no code generation) and describes
// the decoded messages for TypeScript. Field names keep onnx.proto's snake_case
// (keepCase), so the code reads like the spec.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** protobufjs decodes int64 fields as Long (the `long` package is installed) — a number
 * only if Long is unavailable. */
export type Int64 = protobuf.Long | number;

export const PROTO_PATH = fileURLToPath(new URL('../../../schemas/onnx.proto', import.meta.url));

/** The message types we encode and decode. */
export interface OnnxTypes {
  root: protobuf.Root;
  ModelProto: protobuf.Type;
  GraphProto: protobuf.Type;
  TensorProto: protobuf.Type;
}

let cached: OnnxTypes | undefined;

/** Parses the schema once per process. */
export function onnxTypes(): OnnxTypes {
  if (!cached) {
    const { root } = protobuf.parse(readFileSync(PROTO_PATH, 'utf8'), { keepCase: true });
    cached = {
      root,
      ModelProto: root.lookupType('onnx.ModelProto'),
      GraphProto: root.lookupType('onnx.GraphProto'),
      TensorProto: root.lookupType('onnx.TensorProto'),
    };
  }
  return cached;
}

// ---- Decoded message shapes (what Type.decode returns). Absent scalars read as their
// default ('' / 0 / Long 0), absent messages as null, absent repeated fields as [].

export interface StringStringEntryMsg {
  key: string;
  value: string;
}

export interface OperatorSetIdMsg {
  domain: string;
  version: Int64;
}

export interface DimensionMsg {
  dim_value: Int64;
  dim_param: string;
  /** The oneof: which of the two is set, if any. */
  value?: 'dim_value' | 'dim_param';
}

export interface TensorShapeMsg {
  dim: DimensionMsg[];
}

export interface TypeMsg {
  tensor_type: { elem_type: number; shape: TensorShapeMsg | null } | null;
  value?: 'tensor_type' | 'sequence_type' | 'map_type' | 'optional_type' | 'sparse_tensor_type' | 'opaque_type';
}

export interface ValueInfoMsg {
  name: string;
  type: TypeMsg | null;
}

export interface TensorMsg {
  dims: Int64[];
  data_type: number;
  segment: object | null;
  float_data: number[];
  int32_data: number[];
  string_data: Uint8Array[];
  int64_data: Int64[];
  name: string;
  raw_data: Uint8Array;
  external_data: StringStringEntryMsg[];
  data_location: number;
  double_data: number[];
  uint64_data: Int64[];
}

export interface AttributeMsg {
  name: string;
  ref_attr_name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t: TensorMsg | null;
  g: GraphMsg | null;
  sparse_tensor: object | null;
  tp: object | null;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorMsg[];
  graphs: GraphMsg[];
  sparse_tensors: object[];
  type_protos: object[];
}

export interface NodeMsg {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: AttributeMsg[];
}

export interface GraphMsg {
  node: NodeMsg[];
  name: string;
  initializer: TensorMsg[];
  sparse_initializer: object[];
  input: ValueInfoMsg[];
  output: ValueInfoMsg[];
  value_info: ValueInfoMsg[];
}

export interface ModelMsg {
  ir_version: Int64;
  opset_import: OperatorSetIdMsg[];
  producer_name: string;
  producer_version: string;
  doc_string: string;
  graph: GraphMsg | null;
  training_info: object[];
  functions: { name: string }[];
}

/** onnx.proto's AttributeProto.AttributeType numbers. */
export const AttrType = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
  TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
} as const;

/** The name of a TensorProto.DataType number, for error messages ("FLOAT16"). */
export function dataTypeName(code: number): string {
  const values = onnxTypes().TensorProto.lookupEnum('DataType').valuesById;
  return values[code] ?? `unknown data type ${code}`;
}

/** The name of an AttributeProto.AttributeType number. */
export function attrTypeName(code: number): string {
  const name = Object.entries(AttrType).find(([, v]) => v === code)?.[0];
  return name ?? `unknown attribute type ${code}`;
}
