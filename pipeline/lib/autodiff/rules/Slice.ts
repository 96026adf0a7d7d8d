import { attr, tensor } from '../../onnx/builder.ts';
import type { Dim } from '../../onnx/ir.ts';
import { optionalInput } from '../../onnx/attrs.ts';
import { sliceIndices } from '../../onnx/infer/dims.ts';
import type { GradRule, RuleContext } from '../rule.ts';

/** For a step-1 slice whose bounds and sliced dims are static, the zero padding before and
 * after each axis (ONNX Pad's `pads`) that puts dy back in place. */
function staticPads(c: RuleContext): number[] | undefined {
  const { e, node } = c;
  const shape = e.shape(c.input(0));
  const known = (i: number): number[] | undefined => {
    const name = optionalInput(node, i);
    return name === undefined ? undefined : e.intsOf(name);
  };
  const [starts, ends] = [known(1), known(2)];
  if (!shape || !starts || !ends) return undefined;
  const axes = optionalInput(node, 3) === undefined ? starts.map((_, i) => i) : known(3);
  const steps = optionalInput(node, 4) === undefined ? starts.map(() => 1) : known(4);
  if (!axes || !steps || steps.some((s) => s !== 1)) return undefined;
  const r = shape.length;
  const pads = new Array<number>(2 * r).fill(0);
  for (const [k, a] of axes.entries()) {
    const axis = a < 0 ? a + r : a;
    const d: Dim | undefined = shape[axis];
    if (typeof d !== 'number') return undefined;
    const picked = sliceIndices(d, starts[k]!, ends[k]!, 1);
    if (picked.length === 0) return undefined;
    pads[axis] = picked[0]!;
    pads[r + axis] = d - picked[picked.length - 1]! - 1;
  }
  return pads;
}

// A step-1 slice with static bounds: pad dy with zeros back to x's shape. Otherwise number
// every element of x (an iota of x's shape), slice those numbers with the node's own
// starts/ends/axes/steps — so every clamping, negative-index and step rule matches the
// forward pass exactly — and scatter dy to the picked positions of a zero tensor.
export const Slice: GradRule = {
  opTypes: ['Slice'],
  grad: (c) => {
    const { e, node } = c;
    const x = c.input(0);
    const pads = staticPads(c);
    if (pads) {
      const r = pads.length / 2;
      const padded = [...Array(r).keys()].filter((a) => pads[a] !== 0 || pads[r + a] !== 0);
      if (padded.length === 0) return [c.dy()];
      const axis = padded[0]!;
      const dim = e.shape(x)![axis] as number;
      return [e.pad(c.dy(), pads, padded.length === 1 ? { axis, begin: pads[axis]!, end: dim - pads[r + axis]!, dim } : undefined)];
    }
    const int64 = (v: number): string => e.constant(tensor.int64([], [v]));
    const positions = e.op('Range', [int64(0), e.op('Size', [x]), int64(1)]);
    const picked = e.op('Slice', [e.reshapeLike(positions, x), ...node.inputs.slice(1)]);
    const flat = (v: string): string => e.op('Reshape', [v, e.ints([-1])]);
    const zeros = e.filledShape(e.shapeOf(positions), x, 0);
    const scattered = e.op('ScatterElements', [zeros, flat(picked), flat(c.dy())], { axis: attr.int(0) });
    return [e.reshapeLike(scattered, x)];
  },
};
