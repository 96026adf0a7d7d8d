import type { InferRule } from '../rule.ts';

// Y like X. The optional statistics outputs of the training form (running mean and var from
// opset 14; before it also the saved mean and var) are [C] in the type of input_mean.
export const BatchNormalization: InferRule = {
  opTypes: ['BatchNormalization'],
  types: (c) => c.node.outputs.map((_, i) => (i === 0 ? c.x(0).dtype : c.x(3).dtype)),
  shapes: (c) => {
    const x = c.x(0).shape;
    const channels = x?.[1] ?? c.x(3).shape?.[0];
    return c.node.outputs.map((_, i) => (i > 0 ? { shape: [channels ?? c.sym(0, i)] } : x ? { shape: x } : {}));
  },
};
