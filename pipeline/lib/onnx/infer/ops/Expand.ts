import { broadcastShapes } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// The broadcast of the input's shape and the target shape (known contents of input 1).
export const Expand: InferRule = {
  opTypes: ['Expand'],
  shapes: (c) => {
    const target = c.x(1).value;
    const s = c.x(0).shape;
    return one(target && s ? broadcastShapes([s, target], (axis) => c.sym(axis)) : undefined);
  },
};
