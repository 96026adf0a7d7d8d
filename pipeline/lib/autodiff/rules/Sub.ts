import { eachInput, type GradRule } from '../rule.ts';

// d(a - b) = da - db; negating after the reduction touches fewer elements.
export const Sub: GradRule = {
  opTypes: ['Sub'],
  grad: (c) =>
    eachInput(c, 2, (i) => {
      const g = c.e.unbroadcast(c.dy(), c.outShape(), c.input(i));
      return i === 0 ? g : c.e.op('Neg', [g]);
    }),
};
