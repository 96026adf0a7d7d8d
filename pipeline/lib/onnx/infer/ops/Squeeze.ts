import { attrInts, axesAreInput, optionalInput } from '../../attrs.ts';
import { normAxis } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// The dims without the given axes; without axes every 1 goes, which needs every dim known.
// Contents pass through.
export const Squeeze: InferRule = {
  opTypes: ['Squeeze'],
  shapes: (c) => {
    const { shape: s, value } = c.x(0);
    if (!s) return one(undefined, value);
    const axes = c.axes()?.map((a) => normAxis(a, s.length));
    const given = axesAreInput('Squeeze', c.opset) ? optionalInput(c.node, 1) !== undefined : attrInts(c.node, 'axes') !== undefined;
    if (given ? !axes : s.some((d) => typeof d !== 'number')) return one(undefined, value);
    return one(s.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)), value);
  },
};
