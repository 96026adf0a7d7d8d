import { reduction } from '../reduce.ts';
import type { GradRule } from '../rule.ts';

// As ReduceSum, scaled by 1/(elements per mean) = size(y)/size(x), taken at runtime.
export const ReduceMean: GradRule = {
  opTypes: ['ReduceMean'],
  grad: (c) => {
    const { e } = c;
    const r = reduction(c);
    if (r.identity) return [c.dy()];
    const [x, y] = [c.input(0), c.output(0)];
    const size = (v: string): string => e.cast(e.op('Size', [v]), e.dtype(x));
    const scaled = e.op('Mul', [r.restore(c.dy()), e.op('Div', [size(y), size(x)])]);
    return [e.op('Expand', [scaled, e.shapeOf(x)])];
  },
};
