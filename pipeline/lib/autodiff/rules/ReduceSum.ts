import { reduction } from '../reduce.ts';
import type { GradRule } from '../rule.ts';

// Every summed element gets the gradient of its sum: broadcast dy back to x's shape.
export const ReduceSum: GradRule = {
  opTypes: ['ReduceSum'],
  grad: (c) => {
    const r = reduction(c);
    if (r.identity) return [c.dy()];
    return [c.e.op('Expand', [r.restore(c.dy()), c.e.shapeOf(c.input(0))])];
  },
};
