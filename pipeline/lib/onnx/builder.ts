// A small builder for ONNX graphs: unique node and value names, typed attributes and
// tensor constants, so model code reads like the network it describes.
import { DataType, type AttrValue, type Graph, type Initializer, type Node, type TensorValue, type ValueInfo, type Dim, type Model, OPSET, IR_VERSION } from './ir.ts';

/** Explicit attribute constructors: ONNX distinguishes int from float attributes. */
export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  ints: (value: number[]): AttrValue => ({ kind: 'ints', value }),
  floats: (value: number[]): AttrValue => ({ kind: 'floats', value }),
  strings: (value: string[]): AttrValue => ({ kind: 'strings', value }),
  tensor: (value: TensorValue): AttrValue => ({ kind: 'tensor', value }),
  graph: (value: Graph): AttrValue => ({ kind: 'graph', value }),
};

/** Tensor value constructors. */
export const tensor = {
  float32: (dims: number[], data: ArrayLike<number>): TensorValue => ({ dataType: DataType.FLOAT, dims, data: Float32Array.from(data) }),
  float64: (dims: number[], data: ArrayLike<number>): TensorValue => ({ dataType: DataType.DOUBLE, dims, data: Float64Array.from(data) }),
  int64: (dims: number[], data: ArrayLike<number | bigint>): TensorValue => ({
    dataType: DataType.INT64,
    dims,
    data: BigInt64Array.from(Array.from(data, (v) => BigInt(v))),
  }),
  int32: (dims: number[], data: ArrayLike<number>): TensorValue => ({ dataType: DataType.INT32, dims, data: Int32Array.from(data) }),
  bool: (dims: number[], data: ArrayLike<boolean | number>): TensorValue => ({
    dataType: DataType.BOOL,
    dims,
    data: Uint8Array.from(Array.from(data, (v) => (v ? 1 : 0))),
  }),
};

export interface NodeOptions {
  /** Output names, or how many fresh outputs to create (default 1). */
  outputs?: string[] | number;
  name?: string;
  domain?: string;
}

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers: Initializer[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  /** prefix keeps names unique when several builders feed one graph (e.g. a Loop body). */
  constructor(readonly name: string, private readonly prefix = '') {}

  /** A fresh value or node name starting with `hint`. */
  fresh(hint: string): string {
    let name = `${this.prefix}${hint}`;
    while (this.used.has(name)) name = `${this.prefix}${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Marks an externally chosen name as taken. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`graph ${this.name}: name "${name}" is already used`);
    this.used.add(name);
    return name;
  }

  input(name: string, elemType: DataType, shape?: Dim[]): string {
    this.reserve(name);
    this.inputs.push(shape ? { name, elemType, shape } : { name, elemType });
    return name;
  }

  output(name: string, elemType: DataType, shape?: Dim[]): string {
    this.outputs.push(shape ? { name, elemType, shape } : { name, elemType });
    return name;
  }

  initializer(name: string, value: TensorValue): string {
    this.reserve(name);
    this.initializers.push({ name, ...value });
    return name;
  }

  /** A constant tensor as a Constant node (kept out of the initializer list on purpose:
   * initializers are the model's weights). */
  constant(value: TensorValue, hint = 'const'): string {
    return this.op('Constant', [], { value: attr.tensor(value) }, { outputs: [this.fresh(hint)] });
  }

  /** 1-D int64 constant, the usual shape/axes operand. */
  ints(values: number[], hint = 'ints'): string {
    return this.constant(tensor.int64([values.length], values), hint);
  }

  /** float32 scalar constant. */
  scalar(value: number, hint = 'scalar'): string {
    return this.constant(tensor.float32([], [value]), hint);
  }

  /** Adds a node and returns its output names. */
  node(opType: string, inputs: string[], attributes: Record<string, AttrValue> = {}, options: NodeOptions = {}): string[] {
    const outs = options.outputs ?? 1;
    const outputs = typeof outs === 'number' ? Array.from({ length: outs }, (_, i) => this.fresh(`${opType}_out${i}`)) : outs;
    const name = options.name ? this.reserve(options.name) : this.fresh(opType);
    const node: Node = { name, opType, inputs, outputs, attributes };
    if (options.domain) node.domain = options.domain;
    this.nodes.push(node);
    return outputs;
  }

  /** Adds a single-output node and returns the output's name. */
  op(opType: string, inputs: string[], attributes: Record<string, AttrValue> = {}, options: NodeOptions = {}): string {
    const [out] = this.node(opType, inputs, attributes, options);
    return out!;
  }

  build(): Graph {
    return {
      name: this.name,
      nodes: [...this.nodes],
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      initializers: [...this.initializers],
    };
  }
}

/** Wraps a graph as a model of our opset. */
export function modelOf(graph: Graph, producerVersion = '0.1.0'): Model {
  return {
    irVersion: IR_VERSION,
    opsetImports: [{ domain: '', version: OPSET }],
    producerName: 'llc-pipeline',
    producerVersion,
    graph,
  };
}
