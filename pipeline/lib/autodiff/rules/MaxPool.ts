import { attr } from '../../onnx/builder.ts';
import { attrInt } from '../../onnx/attrs.ts';
import { poolWindow } from '../../onnx/infer/ops/pool.ts';
import type { GradRule } from '../rule.ts';

// Each output takes the value of one input element, the one its Indices output names (a
// position in x flattened, pads not counted), so dx is dy scatter-added at those positions
// into zeros of x's size: overlapping windows that pick the same element add up. With
// storage_order=1 the indices run column-major over the spatial axes (onnxruntime, CPU and
// CUDA alike: n·c·S + Σ s_i·Π_{j<i} S_j), that is row-major over them reversed, so the sums
// are laid out in that order and transposed back. ScatterElements reduces from opset 16.
export const MaxPool: GradRule = {
  opTypes: ['MaxPool'],
  grad: (c) => {
    const { e, node } = c;
    if (e.opset < 16) throw new Error(`autodiff: the gradient of MaxPool node "${node.name}" needs opset 16 or newer (ScatterElements with reduction), not ${e.opset}`);
    const x = c.input(0);
    const flat = (v: string): string => e.op('Reshape', [v, e.ints([-1])]);
    const summed = e.op('ScatterElements', [flat(e.filled(x, 0)), flat(c.output(1)), flat(c.dy())], {
      axis: attr.int(0),
      reduction: attr.string('add'),
    });
    const spatial = poolWindow(node).kernel.length;
    if (attrInt(node, 'storage_order', 0) === 0 || spatial === 1) return [e.reshapeLike(summed, x)];
    const reversed = [0, 1, ...Array.from({ length: spatial }, (_, i) => spatial + 1 - i)];
    const transposed = e.op('Reshape', [summed, e.op('Gather', [e.shapeOf(x), e.ints(reversed)])]);
    return [e.op('Transpose', [transposed], { perm: attr.ints(reversed) })];
  },
};
