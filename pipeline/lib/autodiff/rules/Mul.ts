import { eachInput, type GradRule } from '../rule.ts';

// d(a·b) = b·da + a·db.
export const Mul: GradRule = {
  opTypes: ['Mul'],
  grad: (c) =>
    eachInput(c, 2, (i) => c.e.unbroadcast(c.e.op('Mul', [c.dy(), c.input(1 - i)]), c.outShape(), c.input(i))),
};
