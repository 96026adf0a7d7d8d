import { optionalInput } from '../../onnx/attrs.ts';
import type { GradRule } from '../rule.ts';

// y = min(max(x, lo), hi) with optional scalar inputs lo and hi (opset ≥ 11; y = hi
// everywhere when lo > hi). As torch.clamp's backward takes it (derivatives.yaml,
// clamp_backward and clamp_backward_min_max), the bounds themselves belong to x:
//   dx  = dy where lo ≤ x ≤ hi,
//   dlo = Σ dy where x < lo and lo < hi,
//   dhi = Σ dy where x > hi or hi < lo,
// (a missing bound drops its condition). So with lo < hi, each element's gradient goes to
// exactly one of x, lo, hi; with lo > hi all of it goes to hi; with lo = hi, elements
// below lo pass none, as in PyTorch.
export const Clip: GradRule = {
  opTypes: ['Clip'],
  grad: (c) => {
    const { e, node } = c;
    const [x, dy] = [c.input(0), c.dy()];
    const [lo, hi] = [optionalInput(node, 1), optionalInput(node, 2)];
    const zero = e.scalar(0, x);
    const where = (mask: string): string => e.op('Where', [mask, dy, zero]);
    let dx: string | undefined;
    if (c.needs(0)) {
      const inside = [lo && e.op('GreaterOrEqual', [x, lo]), hi && e.op('LessOrEqual', [x, hi])].filter((m) => m !== undefined);
      dx = inside.length === 0 ? dy : where(inside.length === 1 ? inside[0]! : e.op('And', inside));
    }
    let dlo: string | undefined;
    if (c.needs(1)) {
      const under = e.op('Less', [x, lo!]);
      dlo = e.unbroadcast(where(hi ? e.op('And', [under, e.op('Less', [lo!, hi])]) : under), c.outShape(), lo!);
    }
    let dhi: string | undefined;
    if (c.needs(2)) {
      const over = e.op('Greater', [x, hi!]);
      dhi = e.unbroadcast(where(lo ? e.op('Or', [over, e.op('Less', [hi!, lo])]) : over), c.outShape(), hi!);
    }
    return [dx, dlo, dhi];
  },
};
