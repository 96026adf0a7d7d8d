import { attrInt } from '../../attrs.ts';
import type { Dim } from '../../ir.ts';
import { arith, normAxis } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// The first input's dims with the concatenated axis summed; 1-D contents concatenated.
export const Concat: InferRule = {
  opTypes: ['Concat'],
  shapes: (c) => {
    const inputs = c.node.inputs.map((_, i) => c.x(i));
    if (inputs.some((f) => !f.shape)) return one(undefined);
    const first = inputs[0]!.shape!;
    const axis = normAxis(attrInt(c.node, 'axis', 0), first.length);
    const total = inputs.reduce<Dim>((acc, f) => arith('Add', acc, f.shape![axis]!, c.sym(axis)), 0);
    const value = first.length === 1 && inputs.every((f) => f.value) ? inputs.flatMap((f) => f.value!) : undefined;
    return one(first.map((d, i) => (i === axis ? total : d)), value);
  },
};
