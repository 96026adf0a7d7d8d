// What gradient rules build with: a GraphBuilder that knows the forward graph's facts,
// shares repeated computations (constants, Shape nodes) instead of emitting them twice,
// writes the opset-dependent forms of Reduce/Squeeze/Unsqueeze, and sums gradients back
// over broadcast axes.
import { DataType, type AttrValue, type Dim, type TensorValue } from '../onnx/ir.ts';
import { attr, tensor, type GraphBuilder } from '../onnx/builder.ts';
import { axesAreInput } from '../onnx/attrs.ts';
import type { Facts } from '../onnx/infer/facts.ts';

/** A tensor of `dims` filled with `value`, of element type `dtype`. */
function filledTensor(dtype: DataType, dims: number[], value: number): TensorValue {
  const data = new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(value);
  switch (dtype) {
    case DataType.FLOAT: return tensor.float32(dims, data);
    case DataType.DOUBLE: return tensor.float64(dims, data);
    case DataType.INT64: return tensor.int64(dims, data);
    case DataType.INT32: return tensor.int32(dims, data);
    default: throw new Error(`autodiff: cannot make a constant of element type ${DataType[dtype] ?? dtype}`);
  }
}

/** Identifies an attribute set by content, so equal nodes can be shared. */
function attributesKey(attributes: Record<string, AttrValue>): string {
  return Object.keys(attributes)
    .sort()
    .map((k) => {
      const a = attributes[k]!;
      const v = a.kind === 'tensor' ? `${a.value.dataType}|${a.value.dims}|${Array.from(a.value.data as ArrayLike<number | bigint>, String)}` : JSON.stringify(a.value);
      return `${k}:${a.kind}=${v}`;
    })
    .join(';');
}

/** A gradient piece that is `source` zero-padded along one axis into [begin, end) of `dim`. */
export interface Tile {
  source: string;
  axis: number;
  begin: number;
  end: number;
  dim: number;
}

export class Emitter {
  /** Pad outputs that are tiles, by name: see sum(). */
  private readonly tiles = new Map<string, Tile>();

  /** Nodes already emitted, by op type, inputs and attributes: asking again for the same
   * computation (a Shape, a constant, a shared iota) returns the existing outputs. Every op
   * the rules emit is deterministic, so this is always safe. */
  private readonly emitted = new Map<string, string[]>();

  constructor(
    private readonly builder: GraphBuilder,
    readonly opset: number,
    private readonly facts: Map<string, Facts>,
  ) {}

  op(opType: string, inputs: string[], attributes: Record<string, AttrValue> = {}): string {
    return this.ops(opType, inputs, attributes, 1)[0]!;
  }

  ops(opType: string, inputs: string[], attributes: Record<string, AttrValue>, outputs: number): string[] {
    const key = `${opType}(${inputs.join(',')})[${attributesKey(attributes)}]${outputs}`;
    let outs = this.emitted.get(key);
    if (outs === undefined) {
      outs = this.builder.node(opType, inputs, attributes, { outputs });
      this.emitted.set(key, outs);
    }
    return outs;
  }

  /** A fresh value name, for outputs added to forward nodes. */
  fresh(hint: string): string {
    return this.builder.fresh(hint);
  }

  /** Zero-pads `g` by ONNX `pads`; `tile` describes it when only one axis is padded. */
  pad(g: string, pads: number[], tile?: Omit<Tile, 'source'>): string {
    const padded = this.op('Pad', [g, this.ints(pads)]);
    if (tile) this.tiles.set(padded, { source: g, ...tile });
    return padded;
  }

  /** Sum of gradient contributions. Pieces that tile one axis exactly (the gradients of
   * slices partitioning a tensor, such as packed q/k/v) become one Concat of the unpadded
   * pieces; their Pad nodes are then unused, and the engine drops them. */
  sum(parts: string[]): string {
    const tiles = parts.map((p) => this.tiles.get(p));
    if (tiles.every((t) => t !== undefined)) {
      const sorted = [...tiles].sort((a, b) => a.begin - b.begin);
      const first = sorted[0]!;
      const tiled = sorted.every((t, i) => t.axis === first.axis && t.dim === first.dim && t.begin === (i === 0 ? 0 : sorted[i - 1]!.end));
      if (tiled && sorted[sorted.length - 1]!.end === first.dim) {
        return this.op('Concat', sorted.map((t) => t.source), { axis: attr.int(first.axis) });
      }
    }
    return this.op('Sum', parts);
  }

  dtype(name: string): DataType {
    const t = this.facts.get(name)?.dtype;
    if (t === undefined) throw new Error(`autodiff: the element type of "${name}" is unknown`);
    return t;
  }

  /** Static shape of a forward value (symbolic dims included), if its rank is known. */
  shape(name: string): Dim[] | undefined {
    return this.facts.get(name)?.shape;
  }

  rank(name: string, why: string): number {
    const s = this.shape(name);
    if (!s) throw new Error(`autodiff: ${why} needs the rank of "${name}", which static shape inference could not find`);
    return s.length;
  }

  /** Contents of a small integer tensor, if every element is known. */
  intsOf(name: string): number[] | undefined {
    const v = this.facts.get(name)?.value;
    return v?.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
  }

  constant(value: TensorValue): string {
    return this.op('Constant', [], { value: attr.tensor(value) });
  }

  /** A scalar constant of the element type of `like`. */
  scalar(value: number, like: string): string {
    return this.constant(filledTensor(this.dtype(like), [], value));
  }

  /** A 1-D int64 constant: shapes, axes, sizes. */
  ints(values: number[]): string {
    return this.constant(tensor.int64([values.length], values));
  }

  shapeOf(x: string): string {
    return this.op('Shape', [x]);
  }

  /** A tensor shaped like `like`, of its element type, filled with `value`. */
  filled(like: string, value: number): string {
    return this.filledShape(this.shapeOf(like), like, value);
  }

  /** A tensor of runtime shape `shape` (1-D int64), of the element type of `like`. */
  filledShape(shape: string, like: string, value: number): string {
    return this.op('ConstantOfShape', [shape], { value: attr.tensor(filledTensor(this.dtype(like), [1], value)) });
  }

  reshapeLike(x: string, like: string): string {
    return this.op('Reshape', [x, this.shapeOf(like)]);
  }

  cast(x: string, to: DataType): string {
    return this.op('Cast', [x], { to: attr.int(to) });
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.op('Unsqueeze', [x, this.ints(axes)]);
  }

  squeeze(x: string, axes: number[]): string {
    return this.op('Squeeze', [x, this.ints(axes)]);
  }

  /** ReduceSum/ReduceMean/… over static axes ([] = all axes), in the form the opset wants. */
  reduce(opType: string, x: string, axes: number[], keepdims: boolean): string {
    const keep = { keepdims: attr.int(keepdims ? 1 : 0) };
    if (axes.length === 0) return this.op(opType, [x], keep);
    return axesAreInput(opType, this.opset)
      ? this.op(opType, [x, this.ints(axes)], keep)
      : this.op(opType, [x], { ...keep, axes: attr.ints(axes) });
  }

  /**
   * Sums gradient `g` (static shape `gShape`, when known) over the axes along which
   * `target` was broadcast to reach it, giving a gradient of target's shape. Decided
   * statically where the facts allow; otherwise computed from runtime shapes.
   */
  unbroadcast(g: string, gShape: Dim[] | undefined, target: string): string {
    const t = this.shape(target);
    const axes = gShape && t ? broadcastAxes(gShape, t) : undefined;
    if (!axes) return this.unbroadcastDynamic(g, target);
    const lead = gShape!.length - t!.length;
    if (axes.length === 0) return g;
    if (axes.every((a) => a < lead)) return this.reduce('ReduceSum', g, axes, false);
    const kept = this.reduce('ReduceSum', g, axes, true);
    return lead > 0 ? this.squeeze(kept, Array.from({ length: lead }, (_, i) => i)) : kept;
  }

  /** The same from runtime shapes: pad target's shape with leading 1s to g's rank, sum g
   * over the axes where that padded shape is 1 (keeping them), reshape to target. */
  private unbroadcastDynamic(g: string, target: string): string {
    const targetShape = this.shapeOf(target);
    const gShape = this.shapeOf(g);
    const extra = this.op('Sub', [this.op('Size', [gShape]), this.op('Size', [targetShape])]);
    const ones = this.op('ConstantOfShape', [this.unsqueeze(extra, [0])], { value: attr.tensor(tensor.int64([1], [1])) });
    const padded = this.op('Concat', [ones, targetShape], { axis: attr.int(0) });
    const where1 = this.op('NonZero', [this.op('Equal', [padded, this.ints([1])])]);
    const axes = this.op('Reshape', [where1, this.ints([-1])]);
    // noop_with_empty_axes: with nothing broadcast, an empty axes list must not sum everything.
    const summed = this.op('ReduceSum', [g, axes], { keepdims: attr.int(1), noop_with_empty_axes: attr.int(1) });
    return this.op('Reshape', [summed, targetShape]);
  }
}

/**
 * Axes of a gradient of shape `g` to sum over to reach `target`'s shape: the leading axes
 * target lacks, and those where target has 1 and the gradient may not. Undefined where
 * static dims cannot tell (target's dim symbolic, the gradient's different).
 */
function broadcastAxes(g: Dim[], target: Dim[]): number[] | undefined {
  const lead = g.length - target.length;
  if (lead < 0) return undefined;
  const axes = Array.from({ length: lead }, (_, i) => i);
  for (const [i, d] of target.entries()) {
    const gd = g[lead + i];
    if (d === gd || gd === 1 || (typeof d === 'number' && d !== 1)) continue;
    if (d !== 1) return undefined;
    axes.push(lead + i);
  }
  return axes;
}
