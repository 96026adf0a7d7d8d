import type { Dim } from '../../ir.ts';
import { optionalInput } from '../../attrs.ts';
import { normAxis } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// Each padded axis grows by its two pads (negative ones crop), where the pads (and, from
// opset 18, the axes input) are known; a symbolic dim becomes a symbol made of the dim and
// the growth alone, so equal pads of equal dims get the same symbol.
export const Pad: InferRule = {
  opTypes: ['Pad'],
  shapes: (c) => {
    const s = c.x(0).shape;
    if (!s) return one(undefined);
    const known = (v: Dim[] | undefined): number[] | undefined => (v?.every((d) => typeof d === 'number') ? (v as number[]) : undefined);
    const pads = known(c.x(1).value);
    const axes = optionalInput(c.node, 3) === undefined ? s.map((_, i) => i) : known(c.x(3).value);
    if (!pads || !axes) return one(c.symbols(s.length));
    const shape = [...s];
    axes.forEach((a, k) => {
      const axis = normAxis(a, s.length);
      const growth = pads[k]! + pads[axes.length + k]!;
      const d = s[axis]!;
      if (growth !== 0) shape[axis] = typeof d === 'number' ? d + growth : `?pad${JSON.stringify([d, growth])}`;
    });
    return one(shape);
  },
};
