import { DataType } from '../../ir.ts';
import { attrInt } from '../../attrs.ts';
import { normAxis } from '../dims.ts';
import type { InferRule } from '../rule.ts';

// Y like X; Mean and InvStdDev keep the dims before `axis` and have 1s from it on, in
// stash_type.
export const LayerNormalization: InferRule = {
  opTypes: ['LayerNormalization'],
  types: (c) => {
    const a = c.node.attributes.stash_type;
    const stash = a?.kind === 'int' ? (a.value as DataType) : DataType.FLOAT;
    return [c.x(0).dtype, stash, stash];
  },
  shapes: (c) => {
    const s = c.x(0).shape;
    if (!s) return [{}, {}, {}];
    const axis = normAxis(attrInt(c.node, 'axis', -1), s.length);
    const stat = s.map((d, i) => (i < axis ? d : 1));
    return [{ shape: s }, { shape: stat }, { shape: stat }];
  },
};
