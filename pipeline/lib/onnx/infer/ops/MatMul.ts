import { broadcastShapes } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// numpy matmul: batch dims broadcast; a 1-D operand gains an axis for the product and
// loses it in the result.
export const MatMul: InferRule = {
  opTypes: ['MatMul'],
  shapes: (c) => {
    const [a, b] = [c.x(0).shape, c.x(1).shape];
    if (!a || !b) return one(undefined);
    const pa = a.length === 1 ? [1, ...a] : a;
    const pb = b.length === 1 ? [...b, 1] : b;
    const batch = broadcastShapes([pa.slice(0, -2), pb.slice(0, -2)], (axis) => c.sym(axis));
    const shape = [...batch!, pa[pa.length - 2]!, pb[pb.length - 1]!];
    if (b.length === 1) shape.splice(shape.length - 1, 1);
    if (a.length === 1) shape.splice(shape.length - (b.length === 1 ? 1 : 2), 1);
    return one(shape);
  },
};
