import { attr } from '../../onnx/builder.ts';
import { attrInt } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// Concatenate the outputs' gradients back along the axis; an output no gradient reaches
// contributes zeros of its shape.
export const Split: GradRule = {
  opTypes: ['Split'],
  grad: (c) => {
    const parts = c.node.outputs.map((out, i) => c.dyMaybe(i) ?? c.e.filled(out, 0));
    return [c.e.op('Concat', parts, { axis: attr.int(attrInt(c.node, 'axis', 0)) })];
  },
};
