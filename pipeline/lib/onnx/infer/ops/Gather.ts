import type { Dim } from '../../ir.ts';
import { attrInt } from '../../attrs.ts';
import { normAxis } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// data's dims with the gathered axis replaced by the indices' dims; picks known contents
// out of a known 1-D tensor (a dim out of a shape).
export const Gather: InferRule = {
  opTypes: ['Gather'],
  shapes: (c) => {
    const [data, idx] = [c.x(0), c.x(1)];
    if (!data.shape || !idx.shape) return one(undefined);
    const axis = normAxis(attrInt(c.node, 'axis', 0), data.shape.length);
    const shape = [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)];
    let value: Dim[] | undefined;
    if (data.shape.length === 1 && data.value && idx.value?.every((d) => typeof d === 'number')) {
      value = (idx.value as number[]).map((i) => data.value![normAxis(i, data.value!.length)] ?? c.sym(0));
    }
    return one(shape, value);
  },
};
