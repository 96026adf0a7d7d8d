import { attr } from '../../onnx/builder.ts';
import { ELLIPSIS, ellipsisRank, formatEquation, nodeEquation, type Term } from '../../onnx/einsum.ts';
import type { Dim } from '../../onnx/ir.ts';
import type { GradRule } from '../rule.ts';

// y = Σ Π x_j over the letters missing from y's subscripts. The gradient of operand i is
// the same sum with dy in x_i's place and x_i's subscripts as the output: one Einsum of dy
// and the other operands. Letters only x_i has (summed away in the forward pass) appear in
// none of those, so that result lacks them: they are put back as 1s and expanded to x_i's
// runtime shape. The ellipsis is in dy wherever an operand has one (onnxruntime insists),
// so an x_i without one gets its gradient over the ellipsis first and sums it away; where
// x_i's ellipsis dims were broadcast, they are summed back. Repeated letters within one
// term (diagonals, traces) are not supported.
export const Einsum: GradRule = {
  opTypes: ['Einsum'],
  grad: (c) => {
    const { e, node } = c;
    const { inputs, output } = nodeEquation(node);
    for (const term of [...inputs, output]) {
      if (new Set(term).size !== term.length) {
        throw new Error(`autodiff: Einsum node "${node.name}": the repeated subscript in "${formatEquation(inputs, output)}" (a diagonal) has no gradient rule`);
      }
    }
    const withEllipsis = inputs.findIndex((t) => t.includes(ELLIPSIS));
    if (withEllipsis >= 0 && !output.includes(ELLIPSIS)) {
      throw new Error(`autodiff: Einsum node "${node.name}": "${formatEquation(inputs, output)}" sums over an ellipsis, which onnxruntime does not run`);
    }
    const dy = c.dy();
    const operands = inputs.map((_, i) => c.input(i));
    if (broadcastsLetter(inputs, operands.map((x) => e.shape(x)))) {
      throw new Error(`autodiff: Einsum node "${node.name}" ("${formatEquation(inputs, output)}") broadcasts a size-1 dim against a larger one under one letter, which has no gradient rule`);
    }
    // Ellipsis rank, shared by every operand that has one.
    const ellipsis = withEllipsis < 0 ? 0 : ellipsisRank(inputs[withEllipsis]!, e.rank(operands[withEllipsis]!, `the gradient of Einsum node "${node.name}"`));
    return operands.map((x, i) => {
      if (!c.needs(i)) return undefined;
      const term = inputs[i]!;
      const gradTerms: Term[] = [output, ...inputs.filter((_, j) => j !== i)];
      const present = new Set(gradTerms.flat());
      let out = term.filter((l) => present.has(l));
      const summed = withEllipsis >= 0 && !term.includes(ELLIPSIS);
      if (summed) out = [ELLIPSIS, ...out];
      const identity = gradTerms.length === 1 && out.join('') === output.join('');
      let g = identity ? dy : e.op('Einsum', [dy, ...operands.filter((_, j) => j !== i)], { equation: attr.string(formatEquation(gradTerms, out)) });
      if (summed && ellipsis > 0) g = e.reduce('ReduceSum', g, Array.from({ length: ellipsis }, (_, k) => k), false);
      // Axes of x_i whose letters the result lacks.
      const width = (l: string): number => (l === ELLIPSIS ? ellipsis : 1);
      const missing = term.flatMap((l, k) => (present.has(l) ? [] : [term.slice(0, k).reduce((s, m) => s + width(m), 0)]));
      if (missing.length > 0) g = e.op('Expand', [e.unsqueeze(g, missing), e.shapeOf(x)]);
      if (!term.includes(ELLIPSIS)) return g;
      return e.unbroadcast(g, gradientShape(e.shape(x), c.outShape(), term, output, ellipsis), x);
    });
  },
};

/** Whether some letter has size 1 in one operand and a larger static size in another
 * (onnxruntime broadcasts it; the rule assumes every letter has one size). */
function broadcastsLetter(inputs: Term[], shapes: (Dim[] | undefined)[]): boolean {
  const sizes = new Map<string, Set<Dim>>();
  inputs.forEach((term, i) => {
    const s = shapes[i];
    if (!s) return;
    const at = term.indexOf(ELLIPSIS);
    term.forEach((l, k) => {
      if (l !== ELLIPSIS) sizes.set(l, (sizes.get(l) ?? new Set()).add(s[at >= 0 && k > at ? s.length - (term.length - k) : k]!));
    });
  });
  return [...sizes.values()].some((d) => d.has(1) && [...d].some((n) => typeof n === 'number' && n > 1));
}

/** The static shape of x_i's gradient before the ellipsis is summed back: x_i's shape with
 * its ellipsis dims replaced by y's. */
function gradientShape(x: Dim[] | undefined, y: Dim[] | undefined, term: Term, output: Term, ellipsis: number): Dim[] | undefined {
  if (!x || !y) return undefined;
  const at = (t: Term): number => t.indexOf(ELLIPSIS);
  return [...x.slice(0, at(term)), ...y.slice(at(output), at(output) + ellipsis), ...x.slice(at(term) + ellipsis)];
}
