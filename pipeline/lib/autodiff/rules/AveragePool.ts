import { attr } from '../../onnx/builder.ts';
import type { Node } from '../../onnx/ir.ts';
import { poolWindow, type PoolWindow } from '../../onnx/infer/ops/pool.ts';
import type { Emitter } from '../emit.ts';
import type { GradRule } from '../rule.ts';

// y_o = w_o · Σ_{i ∈ window o} x_i over the window's elements inside x, so dx_i = Σ_{o ∋ i} w_o·dy_o:
// dy·w spread over the windows by a ConvTranspose with a kernel of ones, taken in padded
// coordinates and cut back to x. The weights come from the forward op itself, so they are
// exactly its divisors (count_include_pad either way, ceil_mode windows running past the
// padding, dilations): w = AveragePool(ones) / (number of x elements each window covers),
// that number a Conv of ones over a mask that is 1 on x and 0 on the padding.
// N and C are folded into the batch, so the kernel never depends on C.
export const AveragePool: GradRule = {
  opTypes: ['AveragePool'],
  grad: (c) => {
    const { e, node } = c;
    const x = c.input(0);
    const w = poolWindow(node);
    const r = w.kernel.length;
    const spatial = (v: string): string => e.op('Slice', [e.shapeOf(v), e.ints([2]), e.ints([2 + r])]);
    const [xSize, ySize] = [spatial(x), spatial(c.output(0))];
    const axes = e.ints(Array.from({ length: r }, (_, i) => 2 + i));
    const begin = beginPads(e, node, w, xSize);
    const kernel = e.filledShape(e.ints([1, 1, ...w.kernel]), x, 1);
    const windows = { strides: attr.ints(w.strides), dilations: attr.ints(w.dilations) };
    const concat = (parts: string[]): string => e.op('Concat', parts, { axis: attr.int(0) });

    const ones = e.filledShape(concat([e.ints([1, 1]), xSize]), x, 1);
    // Trailing zeros enough for every window the forward has (ceil_mode, SAME_*); extra
    // windows are sliced off.
    const trailing = w.kernel.map((k, i) => (k - 1) * w.dilations[i]! + w.strides[i]! - 1);
    const mask = e.op('Pad', [ones, concat([e.ints([0, 0]), begin, e.ints([0, 0, ...trailing])])]);
    const counts = e.op('Slice', [e.op('Conv', [mask, kernel], windows), e.ints(new Array<number>(r).fill(0)), ySize, axes]);
    const weights = e.op('Div', [e.op('AveragePool', [ones], node.attributes), counts]);

    const g = e.op('Reshape', [e.op('Mul', [c.dy(), weights]), concat([e.ints([-1, 1]), ySize])]);
    // output_padding = stride - 1 makes the result reach past every position of x.
    const spread = e.op('ConvTranspose', [g, kernel], { ...windows, output_padding: attr.ints(w.strides.map((s) => s - 1)) });
    const dx = e.op('Slice', [spread, begin, e.op('Add', [begin, xSize]), axes]);
    return [e.reshapeLike(dx, x)];
  },
};

/**
 * The padding before each spatial axis (int64 [r]) as onnxruntime places the windows: the
 * pads attribute, none for VALID, and for SAME_* half of what ⌈x/s⌉ windows need (the
 * larger half first for SAME_LOWER), from x's runtime sizes. onnxruntime sizes that padding
 * with the undilated kernel, (⌈x/s⌉ − 1)·s + k − x, against the spec's dilated one; this
 * follows onnxruntime, which computes the forward. With k < s that padding can be negative
 * (onnxruntime then starts the windows inside x): not supported.
 */
function beginPads(e: Emitter, node: Node, w: PoolWindow, xSize: string): string {
  const r = w.kernel.length;
  if (w.autoPad !== 'SAME_UPPER' && w.autoPad !== 'SAME_LOWER') return e.ints(w.pads.slice(0, r));
  const axis = w.kernel.findIndex((k, i) => k < w.strides[i]!);
  if (axis >= 0) {
    throw new Error(
      `autodiff: AveragePool node "${node.name}": auto_pad ${w.autoPad} with kernel ${w.kernel[axis]} smaller than stride ${w.strides[axis]} is not supported`,
    );
  }
  const [s, one] = [e.ints(w.strides), e.ints([1])];
  const count = e.op('Div', [e.op('Add', [xSize, e.op('Sub', [s, one])]), s]);
  const total = e.op('Sub', [e.op('Add', [e.op('Mul', [e.op('Sub', [count, one]), s]), e.ints(w.kernel)]), xSize]);
  return e.op('Div', [w.autoPad === 'SAME_LOWER' ? e.op('Add', [total, one]) : total, e.ints([2])]);
}
