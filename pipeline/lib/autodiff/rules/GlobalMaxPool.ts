import { attr } from '../../onnx/builder.ts';
import type { GradRule } from '../rule.ts';

// y = the max of x over the spatial axes: the gradient goes to one element per (n, c), the
// one ArgMax picks over the flattened spatial axes (the first maximal one, row-major, on
// onnxruntime's CPU), as MaxPool's Indices and PyTorch's max pooling route it, not split
// among ties.
export const GlobalMaxPool: GradRule = {
  opTypes: ['GlobalMaxPool'],
  grad: (c) => {
    const { e } = c;
    const x = c.input(0);
    const planes = (v: string): string => e.op('Reshape', [v, e.ints([0, 0, -1])]);
    const at = e.op('ArgMax', [planes(x)], { axis: attr.int(2), keepdims: attr.int(1) });
    const routed = e.op('ScatterElements', [planes(e.filled(x, 0)), at, planes(c.dy())], { axis: attr.int(2) });
    return [e.reshapeLike(routed, x)];
  },
};
