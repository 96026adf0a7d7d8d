// ONNX files <-> the in-memory Model of ir.ts.
//
// Writing: tensor data always goes to raw_data as little-endian bytes (what PyTorch's
// exporter does; compact and fast). Reading: raw_data and the typed *_data fields.
// Anything we cannot represent faithfully (float16, external data, sparse initializers,
// model-local functions, ...) is refused with one OnnxFormatError that names the file and
// the offending tensor/node, instead of being half-read and failing later.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from '../util/atomic.ts';
import { DataType, elementCount, type AttrValue, type Dim, type Graph, type Initializer, type Model, type Node, type TensorData, type TensorValue, type ValueInfo } from './ir.ts';
import {
  AttrType, attrTypeName, dataTypeName, onnxTypes,
  type AttributeMsg, type GraphMsg, type Int64, type ModelMsg, type NodeMsg, type TensorMsg, type ValueInfoMsg,
} from './proto.ts';

// Typed-array views over raw_data assume the host is little-endian like the format.
if (endianness() !== 'LE') throw new Error('pipeline/lib/onnx/io.ts assumes a little-endian host');

/** Every malformed or unsupported model is reported with this error type. */
export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}

/** The typed array each supported data type is held in, and its element size. */
const LAYOUT: Record<DataType, { array: string; bytes: number }> = {
  [DataType.FLOAT]: { array: 'Float32Array', bytes: 4 },
  [DataType.UINT8]: { array: 'Uint8Array', bytes: 1 },
  [DataType.INT8]: { array: 'Int8Array', bytes: 1 },
  [DataType.INT32]: { array: 'Int32Array', bytes: 4 },
  [DataType.INT64]: { array: 'BigInt64Array', bytes: 8 },
  [DataType.BOOL]: { array: 'Uint8Array', bytes: 1 },
  [DataType.DOUBLE]: { array: 'Float64Array', bytes: 8 },
};

function isSupported(code: number): code is DataType {
  return Object.prototype.hasOwnProperty.call(LAYOUT, code);
}

function supportedList(): string {
  return Object.keys(LAYOUT).map((k) => dataTypeName(Number(k))).join(', ');
}

// ---------------------------------------------------------------------------------------
// int64 helpers. protobufjs gives Long (or number); we want exact numbers for shapes and
// BigInt for tensor data.

function int64ToBigInt(v: Int64): bigint {
  if (typeof v === 'number') return BigInt(v);
  return BigInt.asIntN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0));
}

/** An exact number, or an error when the value does not fit in a double exactly. */
function int64ToSafeNumber(v: Int64, what: () => string): number {
  const b = int64ToBigInt(v);
  if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new OnnxFormatError(`${what()} is ${b}, beyond the exactly representable integers`);
  }
  return Number(b);
}

/** Int attributes (e.g. Slice's INT64_MAX "to the end") may exceed 2^53; they become the
 * nearest double, which encodes back saturated to the same sentinel (see int64Of). */
function int64ToNumber(v: Int64): number {
  return Number(int64ToBigInt(v));
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** What protobufjs' writer accepts for an int64 field. Its own number path wraps values
 * ≥ 2^63 to negative, so large values are saturated and passed as {low, high} bits. */
function int64Of(v: number | bigint): number | { low: number; high: number; unsigned: boolean } {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  let b = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
  if (b > INT64_MAX) b = INT64_MAX;
  if (b < INT64_MIN) b = INT64_MIN;
  const u = BigInt.asUintN(64, b);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: false };
}

// ---------------------------------------------------------------------------------------
// Decoding

const utf8 = new TextDecoder('utf-8');

/** A name quoted for messages; JSON escaping keeps control bytes from garbage readable. */
const q = (name: string) => JSON.stringify(name);

/** Decodes an ONNX ModelProto. `source` (usually the file path) leads every error message. */
export function decodeModel(bytes: Uint8Array, source: string): Model {
  if (bytes.length === 0) throw new OnnxFormatError(`${source}: empty file (0 bytes), not an ONNX model`);
  let msg: ModelMsg;
  try {
    msg = onnxTypes().ModelProto.decode(bytes) as unknown as ModelMsg;
  } catch (e) {
    // protobufjs reports "index out of range" for truncation and "invalid wire type" for
    // garbage; a stack overflow (absurd nesting) lands here too.
    throw new OnnxFormatError(
      `${source}: not a valid ONNX model: protobuf decoding failed (${(e as Error).message}); the file is truncated, corrupt or not ONNX`,
    );
  }
  try {
    const model = modelFromMsg(msg, source);
    if (model.graph.outputs.length === 0) throw new OnnxFormatError(`${source}: not a valid ONNX model: the graph has no outputs`);
    checkGraph(model.graph, source);
    return model;
  } catch (e) {
    if (e instanceof OnnxFormatError) throw e;
    // Defensive: any other failure on odd input still becomes one error naming the file.
    throw new OnnxFormatError(`${source}: not a valid ONNX model (${(e as Error).message})`);
  }
}

/** Reads and decodes an .onnx file. */
export function readModelFile(path: string): Model {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new OnnxFormatError(`${path}: cannot read ONNX model (${(e as Error).message})`);
  }
  return decodeModel(bytes, path);
}

function modelFromMsg(m: ModelMsg, source: string): Model {
  // Cheap sanity checks that also stop stray bytes that happen to parse as protobuf.
  if (!m.graph) throw new OnnxFormatError(`${source}: not an ONNX model: it has no graph (truncated, or not an .onnx file?)`);
  const irVersion = int64ToSafeNumber(m.ir_version, () => `${source}: ir_version`);
  if (irVersion < 1) throw new OnnxFormatError(`${source}: not a valid ONNX model: ir_version is missing`);
  if (m.functions.length > 0) {
    const names = m.functions.map((f) => f.name).join(', ');
    throw new OnnxFormatError(`${source}: the model defines local functions (${names}), which are not supported`);
  }
  if (m.training_info.length > 0) throw new OnnxFormatError(`${source}: the model carries training_info, which is not supported`);
  if (m.opset_import.length === 0) throw new OnnxFormatError(`${source}: not a valid ONNX model: it imports no operator set (opset_import is empty)`);
  const model: Model = {
    irVersion,
    opsetImports: m.opset_import.map((o) => {
      const version = int64ToSafeNumber(o.version, () => `${source}: opset version of domain ${q(o.domain)}`);
      if (version < 1) throw new OnnxFormatError(`${source}: not a valid ONNX model: opset_import of domain ${q(o.domain)} has version ${version}`);
      return { domain: o.domain, version };
    }),
    producerName: m.producer_name,
    producerVersion: m.producer_version,
    graph: graphFromMsg(m.graph, source),
  };
  if (m.doc_string) model.docString = m.doc_string;
  return model;
}

function graphFromMsg(g: GraphMsg, where: string): Graph {
  if (g.sparse_initializer.length > 0) {
    throw new OnnxFormatError(`${where}: graph ${q(g.name)} has ${g.sparse_initializer.length} sparse initializer(s), which are not supported`);
  }
  const graph: Graph = {
    name: g.name,
    nodes: g.node.map((n) => nodeFromMsg(n, where)),
    inputs: g.input.map((v) => valueInfoFromMsg(v, `${where}: graph input ${q(v.name)}`)),
    outputs: g.output.map((v) => valueInfoFromMsg(v, `${where}: graph output ${q(v.name)}`)),
    initializers: g.initializer.map((t): Initializer => {
      if (!t.name) throw new OnnxFormatError(`${where}: graph ${q(g.name)} has an initializer without a name`);
      return { name: t.name, ...tensorFromMsg(t, `${where}: initializer ${q(t.name)}`) };
    }),
  };
  // value_info is only a hint (shapes of intermediate values): keep what we can represent.
  const valueInfo: ValueInfo[] = [];
  for (const v of g.value_info) {
    const tt = v.type?.tensor_type;
    if (v.name && tt && isSupported(tt.elem_type)) valueInfo.push(valueInfoFromMsg(v, ''));
  }
  if (valueInfo.length > 0) graph.valueInfo = valueInfo;
  return graph;
}

function valueInfoFromMsg(v: ValueInfoMsg, what: string): ValueInfo {
  if (!v.name) throw new OnnxFormatError(`${what} has no name`);
  const tt = v.type?.tensor_type;
  if (!v.type || !tt) {
    const kind = v.type?.value;
    throw new OnnxFormatError(`${what} ${kind ? `is a ${kind}, only tensors are supported` : 'has no tensor type'}`);
  }
  if (!isSupported(tt.elem_type)) {
    throw new OnnxFormatError(`${what} has element type ${dataTypeName(tt.elem_type)}, which is not supported (supported: ${supportedList()})`);
  }
  const info: ValueInfo = { name: v.name, elemType: tt.elem_type };
  if (tt.shape) {
    info.shape = tt.shape.dim.map((d, i): Dim => {
      if (d.value === 'dim_value') return int64ToSafeNumber(d.dim_value, () => `${what}: dimension ${i}`);
      if (d.value === 'dim_param') return d.dim_param;
      return ''; // an unknown, unnamed dimension
    });
  }
  return info;
}

function nodeFromMsg(n: NodeMsg, where: string): Node {
  const label = `node ${q(n.name)} (${n.op_type || 'no op_type'})`;
  if (!n.op_type) throw new OnnxFormatError(`${where}: ${label} has no op_type`);
  const attributes: Record<string, AttrValue> = {};
  for (const a of n.attribute) {
    attributes[a.name] = attrFromMsg(a, `${where}: attribute ${q(a.name)} of ${label}`, where, label);
  }
  const node: Node = { name: n.name, opType: n.op_type, inputs: [...n.input], outputs: [...n.output], attributes };
  if (n.domain) node.domain = n.domain;
  return node;
}

function attrFromMsg(a: AttributeMsg, what: string, where: string, nodeLabel: string): AttrValue {
  if (a.ref_attr_name) throw new OnnxFormatError(`${what} refers to a function attribute (${q(a.ref_attr_name)}), which is not supported`);
  switch (a.type) {
    case AttrType.FLOAT: return { kind: 'float', value: a.f };
    case AttrType.INT: return { kind: 'int', value: int64ToNumber(a.i) };
    case AttrType.STRING: return { kind: 'string', value: utf8.decode(a.s) };
    case AttrType.FLOATS: return { kind: 'floats', value: [...a.floats] };
    case AttrType.INTS: return { kind: 'ints', value: a.ints.map(int64ToNumber) };
    case AttrType.STRINGS: return { kind: 'strings', value: a.strings.map((s) => utf8.decode(s)) };
    case AttrType.TENSOR:
      if (!a.t) throw new OnnxFormatError(`${what} is a TENSOR attribute without a tensor`);
      return { kind: 'tensor', value: tensorFromMsg(a.t, `${what}: tensor`) };
    case AttrType.GRAPH:
      if (!a.g) throw new OnnxFormatError(`${what} is a GRAPH attribute without a graph`);
      return { kind: 'graph', value: graphFromMsg(a.g, `${where}: subgraph ${q(a.name)} of ${nodeLabel}`) };
    default:
      throw new OnnxFormatError(`${what} has attribute type ${attrTypeName(a.type)}, which is not supported`);
  }
}

function tensorFromMsg(t: TensorMsg, what: string): TensorValue {
  if (t.data_location === 1 || t.external_data.length > 0) {
    const loc = t.external_data.find((e) => e.key === 'location')?.value;
    throw new OnnxFormatError(
      `${what} keeps its data in an external file${loc ? ` (${q(loc)})` : ''}; external data is not supported (save the model with all data inside the .onnx file)`,
    );
  }
  if (t.segment) throw new OnnxFormatError(`${what} is a segment of a larger tensor, which is not supported`);
  const dataType = t.data_type;
  if (!isSupported(dataType)) {
    throw new OnnxFormatError(`${what} has data type ${dataTypeName(dataType)}, which is not supported (supported: ${supportedList()})`);
  }
  const dims = t.dims.map((d, i) => {
    const n = int64ToSafeNumber(d, () => `${what}: dimension ${i}`);
    if (n < 0) throw new OnnxFormatError(`${what} has negative dimension ${n}`);
    return n;
  });
  const count = elementCount(dims);
  // Check sizes before allocating anything: garbage dims must not trigger a huge allocation.
  const { bytes } = LAYOUT[dataType];
  if (t.raw_data.length > 0) {
    if (t.raw_data.length !== count * bytes) {
      throw new OnnxFormatError(`${what} has shape [${dims}] of ${dataTypeName(dataType)}, which needs ${count * bytes} bytes but raw_data holds ${t.raw_data.length}`);
    }
    return { dataType, dims, data: viewOf(dataType, new Uint8Array(t.raw_data).buffer) };
  }
  const [field, values] = typedField(t, dataType);
  if (values.length !== count) {
    throw new OnnxFormatError(`${what} has shape [${dims}] (${count} elements) but ${field} holds ${values.length} values`);
  }
  return { dataType, dims, data: arrayFrom(dataType, values) };
}

/** The typed field that holds a data type's values when raw_data is not used. */
function typedField(t: TensorMsg, dataType: DataType): [string, ArrayLike<number> | Int64[]] {
  switch (dataType) {
    case DataType.FLOAT: return ['float_data', t.float_data];
    case DataType.DOUBLE: return ['double_data', t.double_data];
    case DataType.INT64: return ['int64_data', t.int64_data];
    case DataType.INT32: case DataType.INT8: case DataType.UINT8: case DataType.BOOL: return ['int32_data', t.int32_data];
  }
}

/** A typed view of a fresh (hence aligned) little-endian buffer. */
function viewOf(dataType: DataType, buf: ArrayBuffer): TensorData {
  switch (dataType) {
    case DataType.FLOAT: return new Float32Array(buf);
    case DataType.DOUBLE: return new Float64Array(buf);
    case DataType.INT64: return new BigInt64Array(buf);
    case DataType.INT32: return new Int32Array(buf);
    case DataType.INT8: return new Int8Array(buf);
    case DataType.UINT8: case DataType.BOOL: return new Uint8Array(buf);
  }
}

function arrayFrom(dataType: DataType, values: ArrayLike<number> | Int64[]): TensorData {
  if (dataType === DataType.INT64) return BigInt64Array.from(values as Int64[], int64ToBigInt);
  const nums = values as ArrayLike<number>;
  switch (dataType) {
    case DataType.FLOAT: return Float32Array.from(nums);
    case DataType.DOUBLE: return Float64Array.from(nums);
    case DataType.INT32: return Int32Array.from(nums);
    case DataType.INT8: return Int8Array.from(nums);
    case DataType.UINT8: case DataType.BOOL: return Uint8Array.from(nums);
  }
}

// ---------------------------------------------------------------------------------------
// Validation shared by reading and writing

/**
 * Checks that every node input is a graph input, an initializer, the output of an earlier
 * node, or (inside a subgraph) a value visible from the enclosing scope; that no value is
 * produced twice; and that every graph output exists. Recurses into graph attributes.
 * Throws an OnnxFormatError that starts with `where`.
 */
export function checkGraph(graph: Graph, where: string, outer: ReadonlySet<string> = new Set()): void {
  const declared = new Set([...graph.inputs.map((v) => v.name), ...graph.initializers.map((t) => t.name)]);
  const visible = new Set([...outer, ...declared]);
  const producedBy = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o && !producedBy.has(o)) producedBy.set(o, n);
  const local = new Set<string>();
  const label = (n: Node) => `node ${q(n.name)} (${n.opType})`;

  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      if (input === '' || visible.has(input)) continue; // '' = omitted optional input
      const producer = producedBy.get(input);
      throw new OnnxFormatError(
        producer
          ? `${where}: ${label(node)} reads ${q(input)} before ${label(producer)} produces it (nodes must be in topological order)`
          : `${where}: ${label(node)} reads ${q(input)}, which is neither produced by a node nor a graph input or initializer`,
      );
    }
    for (const [name, a] of Object.entries(node.attributes)) {
      if (a.kind === 'graph') checkGraph(a.value, `${where}: subgraph ${q(name)} of ${label(node)}`, visible);
    }
    for (const output of node.outputs) {
      if (output === '') continue; // an omitted optional output
      if (local.has(output) || declared.has(output)) {
        throw new OnnxFormatError(`${where}: ${label(node)} produces ${q(output)}, which is already defined in graph ${q(graph.name)}`);
      }
      local.add(output);
      visible.add(output);
    }
  }
  for (const out of graph.outputs) {
    if (!visible.has(out.name)) {
      throw new OnnxFormatError(`${where}: graph output ${q(out.name)} of graph ${q(graph.name)} is neither produced by a node nor a graph input or initializer`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Encoding

/** Serialises a model to ONNX protobuf bytes (validated first, so we never write a file we
 * would refuse to read). */
export function encodeModel(model: Model): Uint8Array {
  const where = `encodeModel(graph ${q(model.graph.name)})`;
  checkGraph(model.graph, where);
  const msg = {
    ir_version: int64Of(model.irVersion),
    opset_import: model.opsetImports.map((o) => ({ domain: o.domain, version: int64Of(o.version) })),
    producer_name: model.producerName,
    producer_version: model.producerVersion,
    ...(model.docString ? { doc_string: model.docString } : {}),
    graph: graphToMsg(model.graph, where),
  };
  return onnxTypes().ModelProto.encode(msg).finish();
}

/** Encodes and writes atomically (a crash never leaves half a model behind). */
export function writeModelFile(path: string, model: Model): void {
  writeFileAtomic(path, encodeModel(model));
}

function graphToMsg(g: Graph, where: string): object {
  return {
    name: g.name,
    node: g.nodes.map((n) => nodeToMsg(n, where)),
    initializer: g.initializers.map((t) => ({ name: t.name, ...tensorToMsg(t, `${where}: initializer ${q(t.name)}`) })),
    input: g.inputs.map(valueInfoToMsg),
    output: g.outputs.map(valueInfoToMsg),
    value_info: (g.valueInfo ?? []).map(valueInfoToMsg),
  };
}

function valueInfoToMsg(v: ValueInfo): object {
  const tensorType: { elem_type: number; shape?: object } = { elem_type: v.elemType };
  if (v.shape) {
    tensorType.shape = {
      dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: int64Of(d) } : d === '' ? {} : { dim_param: d })),
    };
  }
  return { name: v.name, type: { tensor_type: tensorType } };
}

function nodeToMsg(n: Node, where: string): object {
  const label = `node ${q(n.name)} (${n.opType})`;
  return {
    input: n.inputs,
    output: n.outputs,
    name: n.name,
    op_type: n.opType,
    ...(n.domain ? { domain: n.domain } : {}),
    attribute: Object.entries(n.attributes).map(([name, a]) => attrToMsg(name, a, `${where}: attribute ${q(name)} of ${label}`, where, label)),
  };
}

function attrToMsg(name: string, a: AttrValue, what: string, where: string, nodeLabel: string): object {
  const checkInt = (v: number) => {
    if (!Number.isInteger(v)) throw new OnnxFormatError(`${what} has int value ${v}, which is not an integer`);
    return int64Of(v);
  };
  switch (a.kind) {
    case 'float': return { name, type: AttrType.FLOAT, f: a.value };
    case 'int': return { name, type: AttrType.INT, i: checkInt(a.value) };
    case 'string': return { name, type: AttrType.STRING, s: Buffer.from(a.value, 'utf8') };
    case 'floats': return { name, type: AttrType.FLOATS, floats: a.value };
    case 'ints': return { name, type: AttrType.INTS, ints: a.value.map(checkInt) };
    case 'strings': return { name, type: AttrType.STRINGS, strings: a.value.map((s) => Buffer.from(s, 'utf8')) };
    case 'tensor': return { name, type: AttrType.TENSOR, t: tensorToMsg(a.value, `${what}: tensor`) };
    case 'graph': return { name, type: AttrType.GRAPH, g: graphToMsg(a.value, `${where}: subgraph ${q(name)} of ${nodeLabel}`) };
  }
}

function tensorToMsg(t: TensorValue, what: string): object {
  const layout = isSupported(t.dataType) ? LAYOUT[t.dataType] : undefined;
  if (!layout) throw new OnnxFormatError(`${what} has unsupported data type ${dataTypeName(t.dataType)}`);
  if (t.data.constructor.name !== layout.array) {
    throw new OnnxFormatError(`${what} is ${dataTypeName(t.dataType)} but holds a ${t.data.constructor.name} (expected ${layout.array})`);
  }
  const count = elementCount(t.dims);
  if (t.dims.some((d) => !Number.isSafeInteger(d) || d < 0) || count !== t.data.length) {
    throw new OnnxFormatError(`${what} has shape [${t.dims}], which does not match its ${t.data.length} values`);
  }
  return {
    dims: t.dims,
    data_type: t.dataType,
    raw_data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
  };
}
