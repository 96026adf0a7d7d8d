import type { Dim } from '../../ir.ts';
import { ELLIPSIS, ellipsisRank, nodeEquation } from '../../einsum.ts';
import { broadcastShapes } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// Each output letter has the size it has in the operands (a number beats a symbol, and a
// size other than 1 beats 1, which onnxruntime broadcasts); the ellipsis has the broadcast
// of the operands' ellipsis dims.
export const Einsum: InferRule = {
  opTypes: ['Einsum'],
  shapes: (c) => {
    const { inputs, output } = nodeEquation(c.node);
    const shapes = inputs.map((_, i) => c.x(i).shape);
    if (shapes.some((s) => s === undefined)) return one(output.includes(ELLIPSIS) ? undefined : c.symbols(output.length));
    const sizes = new Map<string, Dim>();
    const ellipses: Dim[][] = [];
    inputs.forEach((term, i) => {
      const s = shapes[i]!;
      const k = ellipsisRank(term, s.length);
      let axis = 0;
      for (const l of term) {
        if (l === ELLIPSIS) {
          ellipses.push(s.slice(axis, axis + k));
          axis += k;
          continue;
        }
        const d = s[axis++]!;
        const seen = sizes.get(l);
        if (seen === undefined || seen === 1 || (typeof seen !== 'number' && typeof d === 'number')) sizes.set(l, d);
      }
    });
    const at = output.indexOf(ELLIPSIS);
    const ellipsis = broadcastShapes(ellipses, (axis) => c.sym(at + axis))!;
    const shape: Dim[] = [];
    for (const l of output) {
      if (l === ELLIPSIS) shape.push(...ellipsis);
      else shape.push(sizes.get(l) ?? c.sym(shape.length));
    }
    return one(shape);
  },
};
