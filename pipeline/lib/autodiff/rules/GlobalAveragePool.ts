import type { GradRule } from '../rule.ts';

// y = the mean of x over the spatial axes (kept as 1s): dx = dy / (elements per mean),
// broadcast back over them; elements per mean = size(x)/size(y), taken at runtime.
export const GlobalAveragePool: GradRule = {
  opTypes: ['GlobalAveragePool'],
  grad: (c) => {
    const { e } = c;
    const [x, y] = [c.input(0), c.output(0)];
    const size = (v: string): string => e.cast(e.op('Size', [v]), e.dtype(x));
    return [e.op('Expand', [e.op('Mul', [c.dy(), e.op('Div', [size(y), size(x)])]), e.shapeOf(x)])];
  },
};
