import { DataType } from '../../ir.ts';
import type { InferRule } from '../rule.ts';

// The output is the input, contents included (Cast keeps integer contents too).
export const Identity: InferRule = {
  opTypes: ['Identity', 'Cast', 'CastLike'],
  types: (c) => {
    const to = c.node.attributes.to;
    if (c.node.opType === 'Cast') return [to?.kind === 'int' ? (to.value as DataType) : undefined];
    return [c.node.opType === 'CastLike' ? c.x(1).dtype : c.x(0).dtype];
  },
  shapes: (c) => [{ ...(c.x(0).shape ? { shape: c.x(0).shape } : {}), ...(c.x(0).value ? { value: c.x(0).value } : {}) }],
};
