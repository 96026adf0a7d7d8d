import { eachInput, type GradRule } from '../rule.ts';

// d(a + b): the output's gradient, summed over the axes each operand was broadcast along.
export const Add: GradRule = {
  opTypes: ['Add'],
  grad: (c) => eachInput(c, 2, (i) => c.e.unbroadcast(c.dy(), c.outShape(), c.input(i))),
};
