import type { GradRule } from '../rule.ts';

// y = x·max(0, min(1, x/6 + ½)): dx = 0 for x < -3, dy·(x/3 + ½) for -3 ≤ x ≤ 3, dy for
// x > 3 (the kinks as PyTorch's hardswish_backward takes them).
export const HardSwish: GradRule = {
  opTypes: ['HardSwish'],
  grad: (c) => {
    const { e } = c;
    const [x, dy] = [c.input(0), c.dy()];
    const k = (v: number): string => e.scalar(v, x);
    const middle = e.op('Mul', [dy, e.op('Add', [e.op('Div', [x, k(3)]), k(0.5)])]);
    const upper = e.op('Where', [e.op('Greater', [x, k(3)]), dy, middle]);
    return [e.op('Where', [e.op('Less', [x, k(-3)]), k(0), upper])];
  },
};
