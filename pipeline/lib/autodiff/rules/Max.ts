import type { GradRule, RuleContext } from '../rule.ts';

// Variadic Max under broadcasting: each operand equal to the output at an element gets an
// equal share of that element's gradient, dy / (number of operands equal there), summed
// over the axes it was broadcast along. Ties thus split evenly, as PyTorch's
// torch.maximum/minimum (derivatives.yaml: grad/2 to each of two tied operands) and amax do.
export function selectedOperandGrads(c: RuleContext): (string | undefined)[] {
  const { e, node } = c;
  const y = c.output(0);
  const operands = node.inputs.map((_, i) => c.input(i));
  const chosen = operands.map((x) => e.op('Equal', [x, y]));
  const count = e.op('Sum', chosen.map((m) => e.cast(m, e.dtype(y))));
  const share = e.op('Div', [c.dy(), count]);
  const zero = e.scalar(0, y);
  return operands.map((x, i) => (c.needs(i) ? e.unbroadcast(e.op('Where', [chosen[i]!, share, zero]), c.outShape(), x) : undefined));
}

export const Max: GradRule = {
  opTypes: ['Max'],
  grad: selectedOperandGrads,
};
