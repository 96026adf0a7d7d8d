import { normAxis } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// 1s inserted at the axes, counted in the output's rank. Contents pass through.
export const Unsqueeze: InferRule = {
  opTypes: ['Unsqueeze'],
  shapes: (c) => {
    const { shape, value } = c.x(0);
    const axes = c.axes();
    if (!shape || !axes) return one(undefined, value);
    const rank = shape.length + axes.length;
    const at = new Set(axes.map((a) => normAxis(a, rank)));
    const rest = [...shape];
    return one(Array.from({ length: rank }, (_, i) => (at.has(i) ? 1 : rest.shift()!)), value);
  },
};
