import { attr } from '../../onnx/builder.ts';
import type { GradRule } from '../rule.ts';

// y = x repeated r_i times along each axis i: dy viewed as [r_0, d_0, r_1, d_1, …] and
// summed over the r axes. Static where x's dims and the repeats are known (axes repeated
// once are left out of the view), else the view's shape interleaves the runtime repeats
// with Shape(x).
export const Tile: GradRule = {
  opTypes: ['Tile'],
  grad: (c) => {
    const { e, node } = c;
    const [x, repeats, dy] = [c.input(0), c.input(1), c.dy()];
    const r = e.intsOf(repeats);
    const dims = e.shape(x);
    if (r && dims?.every((d) => typeof d === 'number')) {
      if (r.every((k) => k === 1)) return [dy];
      const view = dims.flatMap((d, i) => (r[i] === 1 ? [d as number] : [r[i]!, d as number]));
      const axes = r.flatMap((k, i) => (k === 1 ? [] : [i + r.slice(0, i).filter((q) => q !== 1).length]));
      return [e.reduce('ReduceSum', e.op('Reshape', [dy, e.ints(view)]), axes, false)];
    }
    const rank = r?.length ?? e.rank(x, `the gradient of Tile node "${node.name}" with runtime repeats`);
    const column = (v: string): string => e.unsqueeze(v, [1]);
    const view = e.op('Reshape', [e.op('Concat', [column(repeats), column(e.shapeOf(x))], { axis: attr.int(1) }), e.ints([-1])]);
    const axes = Array.from({ length: rank }, (_, i) => 2 * i);
    return [e.reduce('ReduceSum', e.op('Reshape', [dy, view]), axes, false)];
  },
};
