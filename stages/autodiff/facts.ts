// Static facts about a graph's values — element type, shape with symbolic dims, and the
// contents of small integer tensors (shape arithmetic) — found in one walk over the nodes.
// Gradient rules use them to pick ranks and axes when the graph is built, and to skip the
// reduction for broadcasting that cannot have happened. A dim nobody can name statically
// gets a symbol made from the name of the value it belongs to, so two uses of the same
// unknown size (say, three Reshapes to one computed shape) still compare equal; where the
// dim is a function of other dims, the symbol is made from those instead (a product of
// dims, a Slice's size from its dim and bounds), so that equal sizes reached along
// different paths (a batch axis folded and unfolded, two tensors sliced to one runtime
// width) compare equal too.
import { DataType, type Dim, type Graph, type Node, type TensorValue, type ValueInfo } from '../onnx/ir.ts';
import { attrInt, attrInts, axesAreInput, optionalInput } from './attrs.ts';

export interface Facts {
  dtype?: DataType;
  /** Absent when the rank is unknown. */
  shape?: Dim[];
  /** Row-major contents of a small integer tensor (a shape, axes, an index), when known. */
  value?: Dim[];
}

/** Contents are tracked for shape-sized tensors only, never for data. */
const MAX_VALUE_ELEMENTS = 64;

const INTEGER_TYPES = new Set<number>([DataType.INT64, DataType.INT32, DataType.INT8, DataType.UINT8]);

/** Facts about every value of `graph`, in `opset`; `outer` describes values a subgraph
 * (a Loop body) reads from its enclosing scope. */
export function inferFacts(graph: Graph, opset: number, outer: ValueInfo[] = []): Map<string, Facts> {
  const facts = new Map<string, Facts>();
  const declare = (v: ValueInfo): void => {
    facts.set(v.name, v.shape ? { dtype: v.elemType, shape: v.shape } : { dtype: v.elemType });
  };
  outer.forEach(declare);
  graph.inputs.forEach(declare);
  for (const init of graph.initializers) facts.set(init.name, tensorFacts(init));
  const declared = new Map((graph.valueInfo ?? []).map((v) => [v.name, v]));
  const get = (name: string): Facts => facts.get(name) ?? {};
  const products = new Products();
  for (const node of graph.nodes) {
    const inferred = inferNode(node, get, opset, products);
    node.outputs.forEach((name, i) => {
      if (name === '') return;
      const f = inferred[i] ?? {};
      const info = declared.get(name);
      // A declared shape comes from a real shape-inference pass: its dims beat our symbols.
      if (info?.shape) f.shape = info.shape;
      f.dtype ??= info?.elemType;
      facts.set(name, f);
    });
  }
  return facts;
}

function tensorFacts(t: TensorValue): Facts {
  const f: Facts = { dtype: t.dataType, shape: [...t.dims] };
  if (INTEGER_TYPES.has(t.dataType) && t.data.length <= MAX_VALUE_ELEMENTS) f.value = Array.from(t.data as ArrayLike<number | bigint>, Number);
  return f;
}

/** Broadcast of two dims; `unknown` where it depends on runtime sizes. */
function broadcastDim(a: Dim, b: Dim, unknown: Dim): Dim {
  if (a === b || b === 1) return a;
  if (a === 1) return b;
  // A fixed size other than 1 wins: the other side must be 1 or equal to it.
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return unknown;
}

/** Multidirectional (numpy) broadcast of shapes; undefined if any rank is unknown. */
function broadcastShapes(shapes: (Dim[] | undefined)[], unknown: (axis: number) => Dim): Dim[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const known = shapes as Dim[][];
  const rank = Math.max(0, ...known.map((s) => s.length));
  return Array.from({ length: rank }, (_, axis) =>
    known.reduce<Dim>((acc, s) => {
      const d = s[axis - (rank - s.length)];
      return d === undefined ? acc : broadcastDim(acc, d, unknown(axis));
    }, 1),
  );
}

/**
 * Products of dims, symbolic ones included, under canonical names: equal products get equal
 * names, so a size folded into one axis (a Reshape to [.., -1, ..]) and unfolded again by
 * another Reshape comes back as the very symbol it started as.
 */
class Products {
  /** Numeric coefficient and symbolic factors (sorted, with repeats) of each named product. */
  private readonly named = new Map<string, { coef: number; syms: string[] }>();

  private split(dims: Dim[]): { coef: number; syms: string[] } {
    let coef = 1;
    const syms: string[] = [];
    for (const d of dims) {
      const p = typeof d === 'number' ? { coef: d, syms: [] } : this.named.get(d) ?? { coef: 1, syms: [d] };
      coef *= p.coef;
      syms.push(...p.syms);
    }
    return { coef, syms: syms.sort() };
  }

  private name(coef: number, syms: string[]): Dim {
    if (coef === 0 || syms.length === 0) return coef;
    if (coef === 1 && syms.length === 1) return syms[0]!;
    const name = `?product${JSON.stringify([coef, ...syms])}`;
    this.named.set(name, { coef, syms });
    return name;
  }

  product(dims: Dim[]): Dim {
    const { coef, syms } = this.split(dims);
    return this.name(coef, syms);
  }

  /** The dim d with d·product(rest) = product(total), where the factors say so; else undefined.
   * (A Reshape's -1: a runtime 0 among rest's symbols would be an error there anyway.) */
  quotient(total: Dim[], rest: Dim[]): Dim | undefined {
    const t = this.split(total);
    const r = this.split(rest);
    if (r.coef === 0 || t.coef % r.coef !== 0) return undefined;
    const left = [...t.syms];
    for (const sym of r.syms) {
      const at = left.indexOf(sym);
      if (at < 0) return undefined;
      left.splice(at, 1);
    }
    return this.name(t.coef / r.coef, left);
  }
}

function arith(op: string, a: Dim, b: Dim, unknown: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case 'Add': return a + b;
      case 'Sub': return a - b;
      case 'Mul': return a * b;
      case 'Div': return Math.trunc(a / b);
    }
  }
  if (op === 'Mul' && b === 1) return a;
  if (op === 'Mul' && a === 1) return b;
  if ((op === 'Add' || op === 'Sub') && b === 0) return a;
  return unknown;
}

/** The positions an ONNX Slice picks from a dim of size `size` (clamping as the spec says). */
export function sliceIndices(size: number, start: number, end: number, step: number): number[] {
  const norm = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + size : v, lo), hi);
  const picked: number[] = [];
  if (step > 0) for (let i = norm(start, 0, size); i < norm(end, 0, size); i += step) picked.push(i);
  else for (let i = norm(start, 0, size - 1); i > norm(end, -1, size - 1); i += step) picked.push(i);
  return picked;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function outputTypes(node: Node, x: (i: number) => Facts): (DataType | undefined)[] {
  // Control flow: the types its body graph declares for its outputs (Loop's body first
  // outputs its condition). Other domains stay unknown rather than guessed.
  const body = node.attributes[node.opType === 'If' ? 'then_branch' : 'body'];
  if (['Loop', 'If', 'Scan'].includes(node.opType) && body?.kind === 'graph') {
    const skip = node.opType === 'Loop' ? 1 : 0;
    return node.outputs.map((_, i) => body.value.outputs[i + skip]?.elemType);
  }
  if ((node.domain ?? '') !== '') return node.outputs.map(() => undefined);
  const first = node.inputs.map((_, i) => x(i).dtype).find((t) => t !== undefined);
  const all = (t: DataType | undefined): (DataType | undefined)[] => node.outputs.map(() => t);
  const attrType = (name: string, fallback: DataType | undefined): DataType | undefined => {
    const a = node.attributes[name];
    return a?.kind === 'int' ? (a.value as DataType) : fallback;
  };
  switch (node.opType) {
    case 'Shape': case 'Size': case 'NonZero': case 'ArgMax': case 'ArgMin': return all(DataType.INT64);
    case 'Equal': case 'Less': case 'Greater': case 'LessOrEqual': case 'GreaterOrEqual':
    case 'Not': case 'And': case 'Or': case 'Xor': case 'IsNaN': case 'IsInf': return all(DataType.BOOL);
    case 'Cast': return all(attrType('to', undefined));
    case 'CastLike': return all(x(1).dtype);
    case 'Where': return all(x(1).dtype);
    case 'Constant': return all(constantFacts(node).dtype);
    case 'ConstantOfShape': {
      const v = node.attributes.value;
      return all(v?.kind === 'tensor' ? v.value.dataType : DataType.FLOAT);
    }
    case 'RandomNormal': case 'RandomUniform': return all(attrType('dtype', DataType.FLOAT));
    case 'RandomNormalLike': case 'RandomUniformLike': case 'EyeLike': return all(attrType('dtype', first));
    case 'OneHot': return all(x(2).dtype);
    case 'Dropout': return [first, DataType.BOOL];
    case 'LayerNormalization': return [first, attrType('stash_type', DataType.FLOAT), attrType('stash_type', DataType.FLOAT)];
    case 'TopK': return [first, DataType.INT64];
    default: return all(first);
  }
}

function constantFacts(node: Node): Facts {
  for (const [name, a] of Object.entries(node.attributes)) {
    if (a.kind === 'tensor' && name === 'value') return tensorFacts(a.value);
    if (name === 'value_float') return { dtype: DataType.FLOAT, shape: [] };
    if (name === 'value_floats' && a.kind === 'floats') return { dtype: DataType.FLOAT, shape: [a.value.length] };
    if (name === 'value_int' && a.kind === 'int') return { dtype: DataType.INT64, shape: [], value: [a.value] };
    if (name === 'value_ints' && a.kind === 'ints') return { dtype: DataType.INT64, shape: [a.value.length], value: [...a.value] };
  }
  return {};
}

const SAME_SHAPE = new Set([
  'Identity', 'Cast', 'CastLike', 'Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Tanh', 'Relu', 'Sigmoid', 'Erf',
  'Softmax', 'LogSoftmax', 'Not', 'Floor', 'Ceil', 'Round', 'Sign', 'Trilu', 'RandomNormalLike', 'RandomUniformLike',
  'EyeLike', 'IsNaN', 'IsInf', 'LeakyRelu', 'Elu', 'Gelu', 'Softplus', 'Clip', 'Sin', 'Cos', 'Dropout',
  'ScatterND', 'ScatterElements',
]);

const BROADCAST = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sum', 'Max', 'Min', 'Mean', 'Mod', 'Where', 'PRelu',
  'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor',
]);

function inferNode(node: Node, get: (name: string) => Facts, opset: number, products: Products): Facts[] {
  const x = (i: number): Facts => {
    const name = optionalInput(node, i);
    return name === undefined ? {} : get(name);
  };
  const sym = (axis: number, out = 0): string => `?${node.outputs[out]}:${axis}`;
  const symbols = (rank: number, out = 0): Dim[] => Array.from({ length: rank }, (_, i) => sym(i, out));
  const types = outputTypes(node, x);
  const shapes = inferShapes(node, x, opset, sym, symbols, products);
  return node.outputs.map((_, i) => {
    const f: Facts = {};
    const t = types[i];
    if (t !== undefined) f.dtype = t;
    const s = shapes[i];
    if (s?.shape) f.shape = s.shape;
    if (s?.value && t !== undefined && INTEGER_TYPES.has(t) && s.value.length <= MAX_VALUE_ELEMENTS) f.value = s.value;
    return f;
  });
}

type ShapeFacts = Pick<Facts, 'shape' | 'value'>;

function inferShapes(
  node: Node,
  x: (i: number) => Facts,
  opset: number,
  sym: (axis: number, out?: number) => string,
  symbols: (rank: number, out?: number) => Dim[],
  products: Products,
): ShapeFacts[] {
  const one = (shape: Dim[] | undefined, value?: Dim[]): ShapeFacts[] => [{ ...(shape ? { shape } : {}), ...(value ? { value } : {}) }];
  const a0 = x(0);
  const axesOf = (): number[] | undefined => {
    const v = axesAreInput(node.opType, opset) ? x(1).value : attrInts(node, node.opType === 'Split' ? 'split' : 'axes');
    return v?.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
  };
  const op = node.opType;
  if (SAME_SHAPE.has(op)) {
    // Only Identity and Cast carry contents through unchanged.
    const value = op === 'Identity' || op === 'Cast' ? a0.value : undefined;
    return node.outputs.map(() => ({ ...(a0.shape ? { shape: a0.shape } : {}), ...(value ? { value } : {}) }));
  }
  if (BROADCAST.has(op)) {
    const inputs = node.inputs.map((_, i) => x(i));
    const shape = broadcastShapes(inputs.map((f) => f.shape), (axis) => sym(axis));
    const [p, q] = inputs;
    let value: Dim[] | undefined;
    if (['Add', 'Sub', 'Mul', 'Div'].includes(op) && p?.value && q?.value && (p.value.length === q.value.length || q.value.length === 1)) {
      value = p.value.map((d, i) => arith(op, d, q.value![q.value!.length === 1 ? 0 : i]!, `?${node.outputs[0]}[${i}]`));
    }
    return one(shape, value);
  }
  switch (op) {
    case 'Constant': return [constantFacts(node)];
    case 'Shape': {
      if (!a0.shape) return one(undefined);
      const r = a0.shape.length;
      const start = Math.min(Math.max(normAxis(attrInt(node, 'start', 0), r), 0), r);
      const end = Math.min(Math.max(normAxis(attrInt(node, 'end', r), r), 0), r);
      const dims = a0.shape.slice(start, Math.max(start, end));
      return one([dims.length], dims);
    }
    case 'Size': return one([], a0.shape ? [products.product(a0.shape)] : undefined);
    case 'ConstantOfShape': {
      const v = x(0).value;
      return one(v ?? (x(0).shape?.[0] !== undefined && typeof x(0).shape![0] === 'number' ? symbols(x(0).shape![0] as number) : undefined));
    }
    case 'Range': {
      const [start, limit, delta] = [x(0).value?.[0], x(1).value?.[0], x(2).value?.[0]];
      const numeric = typeof start === 'number' && typeof limit === 'number' && typeof delta === 'number' && delta !== 0;
      return one([numeric ? Math.max(0, Math.ceil((limit - start) / delta)) : sym(0)]);
    }
    case 'NonZero': return one(a0.shape ? [a0.shape.length, sym(1)] : undefined);
    case 'RandomNormal': case 'RandomUniform': return one(attrInts(node, 'shape'));
    case 'MatMul': {
      const [a, b] = [a0.shape, x(1).shape];
      if (!a || !b) return one(undefined);
      const pa = a.length === 1 ? [1, ...a] : a;
      const pb = b.length === 1 ? [...b, 1] : b;
      const batch = broadcastShapes([pa.slice(0, -2), pb.slice(0, -2)], (axis) => sym(axis));
      const shape = [...batch!, pa[pa.length - 2]!, pb[pb.length - 1]!];
      if (b.length === 1) shape.splice(shape.length - 1, 1);
      if (a.length === 1) shape.splice(shape.length - (b.length === 1 ? 1 : 2), 1);
      return one(shape);
    }
    case 'Gemm': {
      const [a, b] = [a0.shape, x(1).shape];
      if (!a || !b) return one([sym(0), sym(1)]);
      return one([attrInt(node, 'transA', 0) ? a[1]! : a[0]!, attrInt(node, 'transB', 0) ? b[0]! : b[1]!]);
    }
    case 'Gather': {
      const idx = x(1);
      if (!a0.shape || !idx.shape) return one(undefined);
      const axis = normAxis(attrInt(node, 'axis', 0), a0.shape.length);
      const shape = [...a0.shape.slice(0, axis), ...idx.shape, ...a0.shape.slice(axis + 1)];
      let value: Dim[] | undefined;
      if (a0.shape.length === 1 && a0.value && idx.value?.every((d) => typeof d === 'number')) {
        value = (idx.value as number[]).map((i) => a0.value![normAxis(i, a0.value!.length)] ?? sym(0));
      }
      return one(shape, value);
    }
    case 'Reshape': {
      const target = x(1).value;
      if (!target) {
        const len = x(1).shape?.[0];
        return one(typeof len === 'number' ? symbols(len) : undefined, a0.value);
      }
      const allowZero = attrInt(node, 'allowzero', 0) === 1;
      const dims = target.map((d, i) => (d === 0 && !allowZero ? a0.shape?.[i] ?? sym(i) : d));
      const inferAt = dims.indexOf(-1);
      if (inferAt >= 0) {
        const rest = dims.filter((_, i) => i !== inferAt);
        dims[inferAt] = (a0.shape && products.quotient(a0.shape, rest)) ?? sym(inferAt);
      }
      return one(dims, a0.value);
    }
    case 'Flatten': {
      if (!a0.shape) return one([sym(0), sym(1)]);
      const axis = normAxis(attrInt(node, 'axis', 1), a0.shape.length);
      return one([products.product(a0.shape.slice(0, axis)), products.product(a0.shape.slice(axis))]);
    }
    case 'Transpose': {
      if (!a0.shape) return one(undefined);
      const s = a0.shape;
      const perm = attrInts(node, 'perm') ?? s.map((_, i) => s.length - 1 - i);
      return one(perm.map((p) => s[p]!));
    }
    case 'Squeeze': {
      if (!a0.shape) return one(undefined, a0.value);
      const s = a0.shape;
      const axes = axesOf()?.map((a) => normAxis(a, s.length));
      const given = axesAreInput(op, opset) ? optionalInput(node, 1) !== undefined : attrInts(node, 'axes') !== undefined;
      // Without axes every 1 goes, which needs every dim known.
      if (given ? !axes : s.some((d) => typeof d !== 'number')) return one(undefined, a0.value);
      return one(s.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)), a0.value);
    }
    case 'Unsqueeze': {
      const axes = axesOf();
      if (!a0.shape || !axes) return one(undefined, a0.value);
      const rank = a0.shape.length + axes.length;
      const at = new Set(axes.map((a) => normAxis(a, rank)));
      const rest = [...a0.shape];
      return one(Array.from({ length: rank }, (_, i) => (at.has(i) ? 1 : rest.shift()!)), a0.value);
    }
    case 'Concat': {
      const inputs = node.inputs.map((_, i) => x(i));
      if (inputs.some((f) => !f.shape)) return one(undefined);
      const first = inputs[0]!.shape!;
      const axis = normAxis(attrInt(node, 'axis', 0), first.length);
      const total = inputs.reduce<Dim>((acc, f) => arith('Add', acc, f.shape![axis]!, sym(axis)), 0);
      const shape = first.map((d, i) => (i === axis ? total : d));
      const value = first.length === 1 && inputs.every((f) => f.value) ? inputs.flatMap((f) => f.value!) : undefined;
      return one(shape, value);
    }
    case 'Split': {
      if (!a0.shape) return node.outputs.map(() => ({}));
      const s = a0.shape;
      const axis = normAxis(attrInt(node, 'axis', 0), s.length);
      const sizes = axesOf();
      const d = s[axis]!;
      const n = node.outputs.length;
      return node.outputs.map((_, o) => {
        const size = sizes?.[o] ?? (typeof d === 'number' && d % n === 0 ? d / n : sym(axis, o));
        return { shape: s.map((dim, i) => (i === axis ? size : dim)) };
      });
    }
    case 'Slice': {
      if (!a0.shape) return one(undefined);
      const s = a0.shape;
      // The sliced axes: given, or as many as starts has elements (known from its shape even
      // where its contents are not). The other axes keep their dims.
      const count = x(1).value?.length ?? x(1).shape?.[0];
      const givenAxes = x(3).value;
      const axes = optionalInput(node, 3) !== undefined
        ? givenAxes?.every((d) => typeof d === 'number') ? (givenAxes as number[]) : undefined
        : typeof count === 'number' ? Array.from({ length: count }, (_, i) => i) : undefined;
      if (!axes) return one(symbols(s.length));
      // Bound k of input i: its value (a number or a symbol) where known, else the pair
      // [value name, k]; absent steps are 1.
      const bound = (i: number, k: number): Dim | [string, number] => {
        const name = optionalInput(node, i);
        if (name === undefined) return 1;
        return x(i).value?.[k] ?? [name, k];
      };
      const shape = [...s];
      const picks: (number[] | undefined)[] = s.map(() => undefined);
      axes.forEach((a, k) => {
        const axis = normAxis(a, s.length);
        const [start, end, step] = [bound(1, k), bound(2, k), bound(4, k)];
        const d = s[axis]!;
        if (typeof d === 'number' && typeof start === 'number' && typeof end === 'number' && typeof step === 'number') {
          picks[axis] = sliceIndices(d, start, end, step);
          shape[axis] = picks[axis]!.length;
        } else if (!(start === 0 && step === 1 && (end === d || (typeof end === 'number' && end >= 2 ** 31 - 1)))) {
          // A function of the dim and the bounds alone: slices of equal dims by the same
          // bounds (say, a batch's runtime width) get the same symbol.
          shape[axis] = `?slice${JSON.stringify([d, start, end, step])}`;
        }
      });
      const value = s.length === 1 && typeof shape[0] === 'number' && a0.value ? (picks[0] ?? a0.value.map((_, i) => i)).map((i) => a0.value![i]!) : undefined;
      return one(shape, value);
    }
    case 'OneHot': {
      // indices, depth (one element), values [off, on]: the indices' shape with a new axis
      // of size depth at `axis`, counted in the output's rank.
      if (!a0.shape) return one(undefined);
      const axis = normAxis(attrInt(node, 'axis', -1), a0.shape.length + 1);
      const depth = x(1).value;
      const size: Dim = depth?.length === 1 && (typeof depth[0] !== 'number' || depth[0] >= 0) ? depth[0]! : sym(axis);
      return one([...a0.shape.slice(0, axis), size, ...a0.shape.slice(axis)]);
    }
    case 'Expand': {
      const target = x(1).value;
      if (!target || !a0.shape) return one(undefined);
      return one(broadcastShapes([a0.shape, target], (axis) => sym(axis)));
    }
    case 'ReduceSum': case 'ReduceMean': case 'ReduceProd': case 'ReduceMax': case 'ReduceMin': case 'ReduceL2': case 'ReduceLogSumExp': {
      if (!a0.shape) return one(undefined);
      const s = a0.shape;
      const hasAxesInput = axesAreInput(op, opset) && optionalInput(node, 1) !== undefined;
      const axes = axesOf();
      if (hasAxesInput && !axes) return one(attrInt(node, 'keepdims', 1) ? symbols(s.length) : undefined);
      const all = !axes || axes.length === 0;
      if (all && attrInt(node, 'noop_with_empty_axes', 0)) return one(s);
      const reduced = new Set(all ? s.map((_, i) => i) : axes.map((a) => normAxis(a, s.length)));
      return one(attrInt(node, 'keepdims', 1) ? s.map((d, i) => (reduced.has(i) ? 1 : d)) : s.filter((_, i) => !reduced.has(i)));
    }
    case 'LayerNormalization': {
      if (!a0.shape) return [{}, {}, {}];
      const s = a0.shape;
      const axis = normAxis(attrInt(node, 'axis', -1), s.length);
      const stat = s.map((d, i) => (i < axis ? d : 1));
      return [{ shape: s }, { shape: stat }, { shape: stat }];
    }
    default:
      return node.outputs.map(() => ({}));
  }
}
