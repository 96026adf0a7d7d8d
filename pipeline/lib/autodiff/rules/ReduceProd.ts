import { reduction } from '../reduce.ts';
import type { GradRule } from '../rule.ts';

// d Πx / dxᵢ = product of the others. With no zero in a group that is Πx / xᵢ; with one
// zero it is the product of the non-zeros at the zero and 0 elsewhere; with two or more,
// 0 everywhere. (Dividing by x alone would give inf/NaN at zeros.)
export const ReduceProd: GradRule = {
  opTypes: ['ReduceProd'],
  grad: (c) => {
    const { e, node } = c;
    const r = reduction(c);
    if (r.identity) return [c.dy()];
    if (r.axes === undefined) throw new Error(`autodiff: the gradient of ReduceProd node "${node.name}" needs constant axes`);
    const x = c.input(0);
    const [zero, one] = [e.scalar(0, x), e.scalar(1, x)];
    const isZero = e.op('Equal', [x, zero]);
    const zeros = e.reduce('ReduceSum', e.cast(isZero, e.dtype(x)), r.axes, true);
    const nonZeroProduct = e.reduce('ReduceProd', e.op('Where', [isZero, one, x]), r.axes, true);
    const atZero = e.op('Where', [e.op('Equal', [zeros, one]), nonZeroProduct, zero]);
    const elsewhere = e.op('Where', [e.op('Equal', [zeros, zero]), e.op('Div', [nonZeroProduct, x]), zero]);
    return [e.op('Mul', [r.restore(c.dy()), e.op('Where', [isZero, atZero, elsewhere])])];
  },
};
