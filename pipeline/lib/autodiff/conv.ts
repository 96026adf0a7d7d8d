// Shared by the Conv and ConvTranspose rules: the geometry of conv-geometry.ts over runtime
// shapes, and the weight and bias gradients, which have one form for both ops once each
// is seen as a big and a small side (conv-geometry.ts): dY and X swap sides between them.
import { attr } from '../onnx/builder.ts';
import type { Node } from '../onnx/ir.ts';
import { convAttributes, type ConvAttributes, type Int, Ints, type Pads } from '../onnx/conv-geometry.ts';
import type { Emitter } from './emit.ts';

/** One spatial axis, its sizes static numbers or 1-element int64 tensors. */
export interface ConvAxis extends Pads<string> {
  rest: Int<string>;
  stride: number;
  dilation: number;
  kernel: Int<string>;
}

/** Integers over runtime shapes: what does not fold becomes an int64 op on [1]-shaped
 * tensors. Mod is spelled a − (a div b)·b, which every provider has for int64. */
function runtimeInts(e: Emitter): Ints<string> {
  const t = (v: Int<string>): string => (typeof v === 'number' ? e.ints([v]) : v);
  const z: Ints<string> = new Ints<string>((op, a, b) =>
    op === 'Mod' ? z.sub(a, z.mul(z.div(a, b), b)) : e.op(op, [t(a), t(b)]));
  return z;
}

/** Dim `axis` of forward value v: static where the facts know it, else read at runtime. */
function dimOf(e: Emitter, v: string, axis: number): Int<string> {
  const d = e.shape(v)?.[axis];
  return typeof d === 'number' ? d : e.op('Slice', [e.shapeOf(v), e.ints([axis]), e.ints([axis + 1])]);
}

/** A 1-D int64 tensor of static and runtime entries. */
function vector(e: Emitter, values: Int<string>[]): string {
  if (values.every((v) => typeof v === 'number')) return e.ints(values as number[]);
  if (values.length === 1 && typeof values[0] === 'string') return values[0];
  return e.op('Concat', values.map((v) => (typeof v === 'number' ? e.ints([v]) : v)), { axis: attr.int(0) });
}

/** The node's attributes and, per spatial axis, its input's size and kernel size. */
export function convSetup(e: Emitter, node: Node, x: string, w: string): { a: ConvAttributes; z: Ints<string>; sizes: Int<string>[]; kernels: Int<string>[] } {
  const rank = e.rank(x, `${node.opType} node "${node.name}"`) - 2;
  const a = convAttributes(node, rank);
  const axes = Array.from({ length: rank }, (_, i) => i);
  return {
    a,
    z: runtimeInts(e),
    sizes: axes.map((i) => dimOf(e, x, 2 + i)),
    kernels: axes.map((i) => a.kernel?.[i] ?? dimOf(e, w, 2 + i)),
  };
}

const staticPart = (v: Int<string>): number => (typeof v === 'number' ? v : 0);
/** What a pad leaves to runtime: all of it, or nothing where it is static. */
export const runtimePart = (v: Int<string>): Int<string> => (typeof v === 'number' ? 0 : v);

/** Static pads, as a Conv's or ConvTranspose's pads attribute takes them (runtime ones as 0). */
export function staticPads(axes: ConvAxis[]): number[] {
  return [...axes.map((ax) => staticPart(ax.begin)), ...axes.map((ax) => staticPart(ax.end))];
}

/** v zero-padded by the pads known only at runtime (they cannot be attributes). */
export function padRuntime(e: Emitter, v: string, axes: ConvAxis[]): string {
  if (axes.every((ax) => typeof ax.begin === 'number' && typeof ax.end === 'number')) return v;
  const runtime = (side: 'begin' | 'end'): Int<string>[] => [0, 0, ...axes.map((ax) => runtimePart(ax[side]))];
  return e.op('Pad', [v, vector(e, [...runtime('begin'), ...runtime('end')])]);
}

/** The Slice of v from `starts` for `sizes` rows along spatial axes `picked`. */
export function sliceAxes(e: Emitter, z: Ints<string>, v: string, picked: number[], starts: Int<string>[], sizes: Int<string>[]): string {
  if (picked.length === 0) return v;
  const ends = starts.map((s, j) => z.add(s, sizes[j]!));
  return e.op('Slice', [v, vector(e, starts), vector(e, ends), e.ints(picked.map((i) => 2 + i))]);
}

/** [N, g·C, …] → [C, g·N, …]: channel j·C + c of sample b goes to sample c, channel j·N + b,
 * so a grouped Conv over the result keeps group j's channels in group j. `like` is a forward
 * value of v's shape, whose facts give the spatial sizes. */
function channelsToBatch(e: Emitter, v: string, like: string, group: number, rank: number): string {
  const spatial = Array.from({ length: rank }, (_, i) => 2 + i);
  if (group === 1) return e.op('Transpose', [v], { perm: attr.ints([1, 0, ...spatial]) });
  const sizes = spatial.map((axis) => dimOf(e, like, axis));
  // Reshape's 0 copies the dim at the same position: N first, then C.
  const split = e.op('Reshape', [v, vector(e, [0, group, -1, ...sizes])]);
  const moved = e.op('Transpose', [split], { perm: attr.ints([2, 1, 0, ...spatial.map((a) => a + 1)]) });
  return e.op('Reshape', [moved, vector(e, [0, -1, ...sizes])]);
}

/**
 * dW[m, c, t] = Σ_b Σ_o small[b, m, o] · bigPadded[b, c, o·s + t·d] within each group (Conv:
 * big = X, small = dY; ConvTranspose: big = dY, small = X). That is a Conv of the big side
 * with its channels as the batch and its batch as the channels, by the small side with its
 * channels first as the filter, stride d and dilation s: the roles of stride and dilation
 * swap. Its windows reach ⌊rest/d⌋ taps past the kernel; a Slice cuts them where there may be
 * any (rest is below the stride). `bigLike`: a forward value of big's shape.
 */
export function weightGrad(e: Emitter, z: Ints<string>, big: string, bigLike: string, small: string, axes: ConvAxis[], group: number): string {
  const rank = axes.length;
  const swap = attr.ints([1, 0, ...axes.map((_, i) => 2 + i)]);
  const batched = channelsToBatch(e, big, bigLike, group, rank);
  const conv = e.op('Conv', [padRuntime(e, batched, axes), e.op('Transpose', [small], { perm: swap })], {
    strides: attr.ints(axes.map((ax) => ax.dilation)),
    dilations: attr.ints(axes.map((ax) => ax.stride)),
    group: attr.int(group),
    pads: attr.ints(staticPads(axes)),
  });
  const dw = e.op('Transpose', [conv], { perm: swap });
  const long = axes.flatMap((ax, i) => ((typeof ax.rest === 'number' ? ax.rest : ax.stride - 1) >= ax.dilation ? [i] : []));
  return sliceAxes(e, z, dw, long, long.map(() => 0), long.map((i) => axes[i]!.kernel));
}

/** dB: dY summed over every axis but the channels. */
export function biasGrad(e: Emitter, dy: string, rank: number): string {
  return e.reduce('ReduceSum', dy, [0, ...Array.from({ length: rank }, (_, i) => 2 + i)], false);
}
