import { attr } from '../../onnx/builder.ts';
import { attrString, optionalInput } from '../../onnx/attrs.ts';
import type { Emitter } from '../emit.ts';
import type { GradRule } from '../rule.ts';

/** A Slice end past any dim, and its negative for slices running backwards to the front. */
const END = 2 ** 62;

/** g[start:end:step] along one axis (bounds may be negative, counting from the end). */
function slice(e: Emitter, g: string, axis: number, start: number, end: number, step = 1): string {
  return e.op('Slice', [g, e.ints([start]), e.ints([end]), e.ints([axis]), e.ints([step])]);
}

function concat(e: Emitter, parts: string[], axis: number): string {
  return e.op('Concat', parts, { axis: attr.int(axis) });
}

const MODES = ['constant', 'edge', 'reflect', 'wrap'] as const;
const isMode = (m: string): m is (typeof MODES)[number] => (MODES as readonly string[]).includes(m);

/**
 * The adjoint of padding one axis by b ≥ 0 before and a ≥ 0 after in a copying mode: the
 * border elements' gradients are added back onto the elements they copy, leaving an axis of
 * x's length. All bounds count from either end, so x's dim need not be known.
 */
function fold(e: Emitter, mode: 'edge' | 'reflect' | 'wrap', g: string, axis: number, b: number, a: number): string {
  const add = (p: string, q: string): string => e.op('Add', [p, q]);
  switch (mode) {
    case 'edge': {
      // Every element before is a copy of x[0]; every one after, of x[n-1].
      const sum = (v: string): string => e.reduce('ReduceSum', v, [axis], true);
      if (b > 0) g = concat(e, [sum(slice(e, g, axis, 0, b + 1)), slice(e, g, axis, b + 1, END)], axis);
      if (a > 0) g = concat(e, [slice(e, g, axis, 0, -(a + 1)), sum(slice(e, g, axis, -(a + 1), END))], axis);
      return g;
    }
    case 'reflect': {
      // The b elements before are x[b], …, x[1]; reversed, they line up with x[1..b]. The a
      // elements after are x[n-2], …, x[n-1-a]; reversed, with x[n-1-a..n-2].
      if (b > 0) {
        const mirrored = add(slice(e, g, axis, b + 1, 2 * b + 1), slice(e, g, axis, b - 1, -END, -1));
        g = concat(e, [slice(e, g, axis, b, b + 1), mirrored, slice(e, g, axis, 2 * b + 1, END)], axis);
      }
      if (a > 0) {
        const mirrored = add(slice(e, g, axis, -(2 * a + 1), -(a + 1)), slice(e, g, axis, -1, -(a + 1), -1));
        g = concat(e, [slice(e, g, axis, 0, -(2 * a + 1)), mirrored, slice(e, g, axis, -(a + 1), -a)], axis);
      }
      return g;
    }
    default: {
      // wrap: the b elements before are x[n-b..n-1]; the a elements after, x[0..a-1] (b, a ≤ n).
      let x = slice(e, g, axis, b, a > 0 ? -a : END);
      if (b > 0) x = concat(e, [slice(e, x, axis, 0, -b), add(slice(e, x, axis, -b, END), slice(e, g, axis, 0, b))], axis);
      if (a > 0) x = concat(e, [add(slice(e, x, axis, 0, a), slice(e, g, axis, -a, END)), slice(e, x, axis, a, END)], axis);
      return x;
    }
  }
}

// Pad crops by its negative pads, then pads by its positive ones (constant, edge, reflect,
// or from opset 19 wrap; from opset 18 on the axes given), so dx undoes both: the positive
// pads are removed from dy — sliced off in constant mode, folded back onto the elements
// they copy otherwise — and the crop's gradient pads that with zeros. The pad value's
// gradient is Σ dy over the padded positions, i.e. Σ dy less Σ dx (zero outside constant
// mode). Pads known only at runtime are supported in constant mode: dx = Pad(dy, -pads).
export const Pad: GradRule = {
  opTypes: ['Pad'],
  grad: (c) => {
    const { e, node } = c;
    const mode = attrString(node, 'mode', 'constant');
    if (!isMode(mode)) throw new Error(`autodiff: Pad node "${node.name}" has mode "${mode}", which has no gradient rule`);
    const [pads, dy] = [c.input(1), c.dy()];
    const axesInput = optionalInput(node, 3);
    const known = e.intsOf(pads);
    const axes = axesInput === undefined ? known && Array.from({ length: known.length / 2 }, (_, i) => i) : e.intsOf(axesInput);
    const withAxes = (inputs: string[]): string[] => (axesInput === undefined ? inputs : [...inputs, '', axesInput]);
    let dx: string;
    if (known && axes) {
      const padded = axes
        .map((axis, i) => ({ axis, before: Math.max(known[i]!, 0), after: Math.max(known[axes.length + i]!, 0) }))
        .filter((p) => p.before > 0 || p.after > 0);
      dx = dy;
      if (mode !== 'constant') for (const p of padded) dx = fold(e, mode, dx, p.axis, p.before, p.after);
      else if (padded.length > 0) {
        const bounds = (f: (p: (typeof padded)[number]) => number): string => e.ints(padded.map(f));
        dx = e.op('Slice', [dy, bounds((p) => p.before), bounds((p) => (p.after > 0 ? -p.after : END)), bounds((p) => p.axis)]);
      }
      if (known.some((p) => p < 0)) dx = e.op('Pad', withAxes([dx, e.ints(known.map((p) => Math.max(-p, 0)))]));
    } else if (mode === 'constant') {
      dx = e.op('Pad', withAxes([dy, e.op('Neg', [pads])]));
    } else {
      throw new Error(`autodiff: the gradient of Pad node "${node.name}" in mode "${mode}" needs constant pads and axes`);
    }
    const value = optionalInput(node, 2);
    let dValue: string | undefined;
    if (value !== undefined && c.needs(2)) {
      const total = (v: string): string => e.reduce('ReduceSum', v, [], false);
      dValue = mode === 'constant' ? e.op('Sub', [total(dy), total(dx)]) : e.filled(value, 0);
      if (e.shape(value)?.length !== 0) dValue = e.reshapeLike(dValue, value);
    }
    return [dx, undefined, dValue];
  },
};
