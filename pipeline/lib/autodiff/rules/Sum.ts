import { eachInput, type GradRule } from '../rule.ts';

// Variadic Add: every operand gets the output's gradient, unbroadcast to its shape.
export const Sum: GradRule = {
  opTypes: ['Sum'],
  grad: (c) => eachInput(c, c.node.inputs.length, (i) => c.e.unbroadcast(c.dy(), c.outShape(), c.input(i))),
};
