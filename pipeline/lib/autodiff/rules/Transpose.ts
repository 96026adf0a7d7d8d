import { attr } from '../../onnx/builder.ts';
import { attrInts } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// Transpose back with the inverse permutation (no perm: reversing the axes, its own inverse).
export const Transpose: GradRule = {
  opTypes: ['Transpose'],
  grad: (c) => {
    const perm = attrInts(c.node, 'perm');
    if (!perm) return [c.e.op('Transpose', [c.dy()])];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [c.e.op('Transpose', [c.dy()], { perm: attr.ints(inverse) })];
  },
};
