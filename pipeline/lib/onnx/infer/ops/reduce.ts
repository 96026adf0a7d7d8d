// The Reduce ops: the reduced axes become 1 (keepdims) or go; no axes reduce all of them,
// unless noop_with_empty_axes.
import { attrInt, axesAreInput, optionalInput } from '../../attrs.ts';
import { normAxis } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

export const reduce: InferRule = {
  opTypes: ['ReduceSum', 'ReduceMean', 'ReduceProd', 'ReduceMax', 'ReduceMin', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare'],
  shapes: (c) => {
    const { node } = c;
    const s = c.x(0).shape;
    if (!s) return one(undefined);
    const keepdims = attrInt(node, 'keepdims', 1) === 1;
    const hasAxesInput = axesAreInput(node.opType, c.opset) && optionalInput(node, 1) !== undefined;
    const axes = c.axes();
    if (hasAxesInput && !axes) return one(keepdims ? c.symbols(s.length) : undefined);
    const all = !axes || axes.length === 0;
    if (all && attrInt(node, 'noop_with_empty_axes', 0)) return one(s);
    const reduced = new Set(all ? s.map((_, i) => i) : axes.map((a) => normAxis(a, s.length)));
    return one(keepdims ? s.map((d, i) => (reduced.has(i) ? 1 : d)) : s.filter((_, i) => !reduced.has(i)));
  },
};
