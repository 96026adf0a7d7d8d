import { attr } from '../../onnx/builder.ts';
import { attrInt } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// Split the gradient along the axis at the inputs' sizes there (static where known).
export const Concat: GradRule = {
  opTypes: ['Concat'],
  grad: (c) => {
    const { e, node } = c;
    const axis = attrInt(node, 'axis', 0);
    const inputs = node.inputs;
    const dims = inputs.map((x) => e.shape(x)?.at(axis));
    const sizes = dims.every((d) => typeof d === 'number')
      ? e.ints(dims as number[])
      : e.op('Concat', inputs.map((x) => e.op('Gather', [e.shapeOf(x), e.ints([axis])])), { axis: attr.int(0) });
    const parts = e.ops('Split', [c.dy(), sizes], { axis: attr.int(axis) }, inputs.length);
    return parts.map((p, i) => (c.needs(i) ? p : undefined));
  },
};
