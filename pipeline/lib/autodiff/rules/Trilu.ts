import type { GradRule } from '../rule.ts';

// Trilu keeps a triangle and zeroes the rest: keep the same triangle of the gradient.
export const Trilu: GradRule = {
  opTypes: ['Trilu'],
  grad: (c) => [c.e.op('Trilu', [c.dy(), ...c.node.inputs.slice(1)], c.node.attributes)],
};
