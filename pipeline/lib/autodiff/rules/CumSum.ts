import { attr } from '../../onnx/builder.ts';
import { attrInt } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// y_j = Σ x_i over i ≤ j (i < j when exclusive; the other way round when reverse), so
// dx_i = Σ dy_j over j ≥ i (j > i): the same cumulative sum of dy in the other direction.
export const CumSum: GradRule = {
  opTypes: ['CumSum'],
  grad: (c) => [
    c.e.op('CumSum', [c.dy(), c.input(1)], {
      exclusive: attr.int(attrInt(c.node, 'exclusive', 0)),
      reverse: attr.int(1 - attrInt(c.node, 'reverse', 0)),
    }),
  ],
};
