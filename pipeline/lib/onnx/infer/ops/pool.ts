import { DataType, type Dim, type Node } from '../../ir.ts';
import { type AutoPad, attrAutoPad, attrInt, attrInts, attrIntsOr } from '../../attrs.ts';
import { arith } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

/** A MaxPool/AveragePool node's windows, one entry per spatial axis, ONNX defaults filled in. */
export interface PoolWindow {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Begin pads then end pads, as the attribute gives them; zeros unless auto_pad is NOTSET
   * (where auto_pad is set, ONNX ignores `pads`). */
  pads: number[];
  autoPad: AutoPad;
  ceil: boolean;
}

export function poolWindow(node: Node): PoolWindow {
  const kernel = attrInts(node, 'kernel_shape');
  if (!kernel?.length) throw new Error(`node "${node.name}" (${node.opType}) has no kernel_shape`);
  const autoPad = attrAutoPad(node);
  const r = kernel.length;
  return {
    kernel,
    strides: attrIntsOr(node, 'strides', r, 1),
    dilations: attrIntsOr(node, 'dilations', r, 1),
    pads: autoPad === 'NOTSET' ? attrIntsOr(node, 'pads', 2 * r, 0) : new Array<number>(2 * r).fill(0),
    autoPad,
    ceil: attrInt(node, 'ceil_mode', 0) === 1,
  };
}

/**
 * Output size along spatial axis i for input size x, as the ONNX spec gives it:
 * ⌊(x + pads − effective kernel) / stride⌋ + 1, or ⌈…⌉ + 1 with ceil_mode less a last window
 * that would start in the right padding; VALID is no padding; SAME_* is ⌈x / stride⌉.
 * `unknown` where x is symbolic (unless stride 1 keeps it), where the window exceeds the
 * padded input, and where onnxruntime departs from the spec: SAME_* with dilation > 1
 * (it sizes the padding with the undilated kernel) and VALID with ceil_mode (it rounds up).
 */
export function pooledSize(w: PoolWindow, i: number, x: Dim, unknown: Dim): Dim {
  const [k, s, d] = [w.kernel[i]!, w.strides[i]!, w.dilations[i]!];
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
    if (d > 1) return unknown;
    return typeof x === 'number' ? Math.ceil(x / s) : s === 1 ? x : unknown;
  }
  if (w.autoPad === 'VALID' && w.ceil && s > 1) return unknown;
  const [begin, end] = [w.pads[i]!, w.pads[i + w.kernel.length]!];
  const span = begin + end - ((k - 1) * d + 1);
  if (typeof x !== 'number') return s === 1 ? arith('Add', x, span + 1, unknown) : unknown;
  if (x + span < 0) return unknown;
  if (!w.ceil) return Math.floor((x + span) / s) + 1;
  const size = Math.ceil((x + span) / s) + 1;
  return (size - 1) * s >= x + begin ? size - 1 : size;
}

// MaxPool and AveragePool: [N, C, pooled spatial dims]; MaxPool's Indices (int64) alike.
export const pool: InferRule = {
  opTypes: ['MaxPool', 'AveragePool'],
  types: (c) => [c.x(0).dtype, DataType.INT64],
  shapes: (c) => {
    const s = c.x(0).shape;
    if (!s) return [{}, {}];
    const w = poolWindow(c.node);
    const shape = s.map((d, axis) => (axis < 2 ? d : pooledSize(w, axis - 2, d, c.sym(axis))));
    return [{ shape }, { shape }];
  },
};

// GlobalAveragePool and GlobalMaxPool: every spatial dim becomes 1.
export const globalPool: InferRule = {
  opTypes: ['GlobalAveragePool', 'GlobalMaxPool'],
  shapes: (c) => {
    const s = c.x(0).shape;
    return one(s?.map((d, axis) => (axis < 2 ? d : 1)));
  },
};
