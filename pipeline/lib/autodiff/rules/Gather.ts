import { attr } from '../../onnx/builder.ts';
import { attrInt } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

// y = gather(data, indices, axis): scatter dy back to the gathered rows of a zero tensor,
// adding where indices repeat (ScatterND with reduction 'add', opset ≥ 16). ScatterND
// indexes leading axes, so for axis > 0 the gathered axis is moved to the front and back.
// The indices get no gradient.
export const Gather: GradRule = {
  opTypes: ['Gather'],
  grad: (c) => {
    const { e, node } = c;
    if (!c.needs(0)) return [];
    if (e.opset < 16) throw new Error(`autodiff: the gradient of Gather node "${node.name}" needs opset ≥ 16 (ScatterND reduction), the model has ${e.opset}`);
    const [data, indices, dy] = [c.input(0), c.input(1), c.dy()];
    const at = e.unsqueeze(indices, [-1]);
    const scatter = (zeros: string, updates: string): string =>
      e.op('ScatterND', [zeros, at, updates], { reduction: attr.string('add') });
    let axis = attrInt(node, 'axis', 0);
    if (axis === 0) return [scatter(e.filled(data, 0), dy)];
    const why = `Gather node "${node.name}" with axis ${axis}`;
    const r = e.rank(data, why);
    const q = e.rank(indices, why);
    if (axis < 0) axis += r;
    // dy is data[:axis] + indices + data[axis+1:]; make it indices + data[:axis] + data[axis+1:].
    const dyPerm = [...range(axis, axis + q), ...range(0, axis), ...range(axis + q, r - 1 + q)];
    const front = [axis, ...range(0, axis), ...range(axis + 1, r)];
    const zeros = e.filledShape(e.op('Gather', [e.shapeOf(data), e.ints(front)]), data, 0);
    const scattered = scatter(zeros, e.op('Transpose', [dy], { perm: attr.ints(dyPerm) }));
    return [e.op('Transpose', [scattered], { perm: attr.ints(front.map((_, i) => front.indexOf(i))) })];
  },
};
