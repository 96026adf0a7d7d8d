// The spatial arithmetic of Conv and ConvTranspose — pads from auto_pad, output sizes, and
// the padded rows a strided window never reaches — shared by shape inference and the
// gradient rules. It is written over Ints<T>, an integer arithmetic that folds numbers (and
// x+0, x·1, x/1, x mod 1) and hands anything else to its owner: shape inference gives up on
// that dim (a symbol), the gradient rules emit int64 ops over runtime shapes. So one
// formula gives static shapes, symbolic shapes and runtime pads.
//
// Along each spatial axis both ops relate a big side (Conv's input, ConvTranspose's output)
// and a small side (Conv's output, ConvTranspose's input):
//   big + begin + end = stride·(small − 1) + reach + rest,   reach = dilation·(kernel − 1) + 1,
// with begin/end the pads (ConvTranspose: the crops) and rest the padded rows past the last
// window: a strided Conv never reads them, a ConvTranspose leaves them zero
// (output_padding, or an output_shape longer than the windows reach). 0 ≤ rest < stride.
// ConvTranspose follows onnxruntime, which agrees with the ONNX spec on the cases it accepts.
import type { Node } from './ir.ts';
import { type AutoPad, attrAutoPad, attrInt, attrInts, attrIntsOr } from './attrs.ts';

export type Int<T> = number | T;
export type IntOp = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Mod' | 'Max';

/** Integer arithmetic; T stands for the values that are not numbers. Div and Mod are on
 * non-negative operands, so truncating and flooring agree. */
export class Ints<T> {
  constructor(private readonly opaque: (op: IntOp, a: Int<T>, b: Int<T>) => Int<T>) {}

  add(a: Int<T>, b: Int<T>): Int<T> { return this.apply('Add', a, b); }
  sub(a: Int<T>, b: Int<T>): Int<T> { return this.apply('Sub', a, b); }
  mul(a: Int<T>, b: Int<T>): Int<T> { return this.apply('Mul', a, b); }
  div(a: Int<T>, b: Int<T>): Int<T> { return this.apply('Div', a, b); }
  mod(a: Int<T>, b: Int<T>): Int<T> { return this.apply('Mod', a, b); }
  max(a: Int<T>, b: Int<T>): Int<T> { return this.apply('Max', a, b); }

  private apply(op: IntOp, a: Int<T>, b: Int<T>): Int<T> {
    if (typeof a === 'number' && typeof b === 'number') {
      switch (op) {
        case 'Add': return a + b;
        case 'Sub': return a - b;
        case 'Mul': return a * b;
        case 'Div': return Math.floor(a / b);
        case 'Mod': return a - Math.floor(a / b) * b;
        case 'Max': return Math.max(a, b);
      }
    }
    if (b === 0 && (op === 'Add' || op === 'Sub')) return a;
    if (a === 0 && op === 'Add') return b;
    if (b === 1 && (op === 'Mul' || op === 'Div')) return a;
    if (a === 1 && op === 'Mul') return b;
    if (b === 1 && op === 'Mod') return 0;
    return this.opaque(op, a, b);
  }
}

/** A Conv or ConvTranspose node's attributes for `rank` spatial axes, ONNX defaults filled in. */
export interface ConvAttributes {
  autoPad: AutoPad;
  group: number;
  strides: number[];
  dilations: number[];
  /** Begins of every axis, then ends. */
  pads: number[];
  kernel?: number[];
  outputPadding: number[];
  /** Spatial sizes only (a leading [N, C] is dropped). */
  outputShape?: number[];
}

export function convAttributes(node: Node, rank: number): ConvAttributes {
  const given = (name: string): number[] | undefined => {
    const v = attrInts(node, name);
    return v?.length ? v : undefined;
  };
  return {
    autoPad: attrAutoPad(node),
    group: attrInt(node, 'group', 1),
    strides: attrIntsOr(node, 'strides', rank, 1),
    dilations: attrIntsOr(node, 'dilations', rank, 1),
    pads: attrIntsOr(node, 'pads', 2 * rank, 0),
    kernel: given('kernel_shape'),
    outputPadding: attrIntsOr(node, 'output_padding', rank, 0),
    outputShape: given('output_shape')?.slice(-rank),
  };
}

export interface Pads<T> {
  begin: Int<T>;
  end: Int<T>;
}

function reach<T>(z: Ints<T>, a: ConvAttributes, i: number, k: Int<T>): Int<T> {
  return z.add(z.mul(z.sub(k, 1), a.dilations[i]!), 1);
}

/** A total pad split as auto_pad says: SAME_UPPER puts the odd row at the end, the others
 * (SAME_LOWER, and ConvTranspose's output_shape without auto_pad) at the beginning. */
function split<T>(z: Ints<T>, total: Int<T>, upper: boolean): Pads<T> {
  const half = z.div(total, 2);
  const more = z.sub(total, half);
  return upper ? { begin: half, end: more } : { begin: more, end: half };
}

/** Conv's pads on spatial axis i for an input of n rows and a kernel of k. */
export function convPads<T>(z: Ints<T>, a: ConvAttributes, i: number, n: Int<T>, k: Int<T>): Pads<T> {
  switch (a.autoPad) {
    case 'NOTSET': return { begin: a.pads[i]!, end: a.pads[i + a.pads.length / 2]! };
    case 'VALID': return { begin: 0, end: 0 };
    default: {
      // ceil(n/s) windows need max(0, (ceil(n/s) − 1)·s + reach − n) rows of padding, which
      // is reach − ((n − 1) mod s + 1): at stride 1 that is reach − 1 whatever n is.
      const s = a.strides[i]!;
      const total = z.max(0, z.sub(reach(z, a, i, k), z.add(z.mod(z.sub(n, 1), s), 1)));
      return split(z, total, a.autoPad === 'SAME_UPPER');
    }
  }
}

/** Pads less the reach: n plus this, divided by the stride, counts the windows past the first. */
function slack<T>(z: Ints<T>, a: ConvAttributes, i: number, k: Int<T>, p: Pads<T>): Int<T> {
  return z.sub(z.add(p.begin, p.end), reach(z, a, i, k));
}

/** Conv's output size on axis i: ⌊(n + begin + end − reach) / s⌋ + 1, the constant terms
 * added first so that pads of reach − 1 at stride 1 fold to n. */
export function convOutput<T>(z: Ints<T>, a: ConvAttributes, i: number, n: Int<T>, k: Int<T>, p: Pads<T>): Int<T> {
  const s = a.strides[i]!;
  return z.div(z.add(n, z.add(slack(z, a, i, k, p), s)), s);
}

/** Conv's rest on axis i: the padded rows past its last window. */
export function convRest<T>(z: Ints<T>, a: ConvAttributes, i: number, n: Int<T>, k: Int<T>, p: Pads<T>): Int<T> {
  return z.mod(z.add(n, slack(z, a, i, k, p)), a.strides[i]!);
}

export interface TransposeAxis<T> extends Pads<T> {
  out: Int<T>;
  rest: Int<T>;
}

/** ConvTranspose on axis i, for an input of n rows and a kernel of k: its crops, output size
 * and rest. The windows reach full = s·(n − 1) + reach rows; output_padding adds zero rows
 * at the end. An output_shape sets the size, the crops making it up (never negative: a
 * longer output gets zero rows); otherwise SAME_* crops to s·n where the windows reach that
 * far, VALID crops nothing, and NOTSET crops by pads. */
export function convTransposeAxis<T>(z: Ints<T>, a: ConvAttributes, i: number, n: Int<T>, k: Int<T>): TransposeAxis<T> {
  const s = a.strides[i]!;
  const op = a.outputPadding[i]!;
  const r = reach(z, a, i, k);
  const target = a.outputShape?.[i];
  if (target !== undefined) {
    const full = z.add(z.mul(s, z.sub(n, 1)), r);
    const total = z.max(0, z.sub(z.add(full, op), target));
    return { ...split(z, total, a.autoPad === 'SAME_UPPER'), out: target, rest: z.sub(z.add(target, total), full) };
  }
  let pads: Pads<T>;
  switch (a.autoPad) {
    case 'NOTSET': pads = { begin: a.pads[i]!, end: a.pads[i + a.pads.length / 2]! }; break;
    case 'VALID': pads = { begin: 0, end: 0 }; break;
    // full + op − s·n = reach + op − s, whatever n is.
    default: pads = split(z, z.max(0, z.sub(z.add(r, op), s)), a.autoPad === 'SAME_UPPER');
  }
  // s·n + (reach − s + op − crops): the constant terms together, so 'same' at stride 1 folds to n.
  const out = z.add(z.mul(s, n), z.sub(z.add(z.sub(r, s), op), z.add(pads.begin, pads.end)));
  return { ...pads, out, rest: op };
}
