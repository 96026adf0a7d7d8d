import type { Dim } from '../../ir.ts';
import { optionalInput } from '../../attrs.ts';
import { normAxis, sliceIndices } from '../dims.ts';
import { type InferRule, one } from '../rule.ts';

// Each sliced axis: the count of picked positions where dim and bounds are known; else a
// symbol made of the dim and the bounds alone, so slices of equal dims by the same bounds
// (a batch's runtime width) get the same symbol. Other axes keep their dims.
export const Slice: InferRule = {
  opTypes: ['Slice'],
  shapes: (c) => {
    const { node } = c;
    const { shape: s, value } = c.x(0);
    if (!s) return one(undefined);
    // The sliced axes: given, or as many as starts has elements (known from its shape even
    // where its contents are not).
    const count = c.x(1).value?.length ?? c.x(1).shape?.[0];
    const givenAxes = c.x(3).value;
    const axes = optionalInput(node, 3) !== undefined
      ? givenAxes?.every((d) => typeof d === 'number') ? (givenAxes as number[]) : undefined
      : typeof count === 'number' ? Array.from({ length: count }, (_, i) => i) : undefined;
    if (!axes) return one(c.symbols(s.length));
    // Bound k of input i: its value (a number or a symbol) where known, else the pair
    // [value name, k]; absent steps are 1.
    const bound = (i: number, k: number): Dim | [string, number] => {
      const name = optionalInput(node, i);
      if (name === undefined) return 1;
      return c.x(i).value?.[k] ?? [name, k];
    };
    const shape = [...s];
    const picks: (number[] | undefined)[] = s.map(() => undefined);
    axes.forEach((a, k) => {
      const axis = normAxis(a, s.length);
      const [start, end, step] = [bound(1, k), bound(2, k), bound(4, k)];
      const d = s[axis]!;
      if (typeof d === 'number' && typeof start === 'number' && typeof end === 'number' && typeof step === 'number') {
        picks[axis] = sliceIndices(d, start, end, step);
        shape[axis] = picks[axis]!.length;
      } else if (!(start === 0 && step === 1 && (end === d || (typeof end === 'number' && end >= 2 ** 31 - 1)))) {
        shape[axis] = `?slice${JSON.stringify([d, start, end, step])}`;
      }
    });
    const picked = s.length === 1 && typeof shape[0] === 'number' && value ? (picks[0] ?? value.map((_, i) => i)).map((i) => value[i]!) : undefined;
    return one(shape, picked);
  },
};
