// Einsum equations ('bij,bjk->bik', '...ij,...jk', 'ij->ji'): parsed into terms, one per
// operand and one for the output, for shape inference and the Einsum gradient rule.
import { attrString } from './attrs.ts';
import type { Node } from './ir.ts';

/** The subscripts of one operand or of the output: letters, and '...' for the ellipsis. */
export type Term = string[];

export interface Equation {
  inputs: Term[];
  /** Explicit, or per the spec for implicit equations (no '->'): the ellipsis (if any
   * operand has one) followed by the letters that appear exactly once, sorted. */
  output: Term;
}

export const ELLIPSIS = '...';

function parseTerm(text: string, equation: string): Term {
  const term: Term = [];
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith(ELLIPSIS, i)) {
      if (term.includes(ELLIPSIS)) throw new Error(`einsum: "${equation}" has two ellipses in one term`);
      term.push(ELLIPSIS);
      i += ELLIPSIS.length - 1;
    } else if (/[a-zA-Z]/.test(text[i]!)) {
      term.push(text[i]!);
    } else {
      throw new Error(`einsum: "${equation}" has an unexpected character "${text[i]}"`);
    }
  }
  return term;
}

export function parseEquation(equation: string): Equation {
  const [lhs, rhs, ...rest] = equation.replace(/\s+/g, '').split('->');
  if (rest.length > 0) throw new Error(`einsum: "${equation}" has more than one "->"`);
  const inputs = lhs!.split(',').map((t) => parseTerm(t, equation));
  if (rhs !== undefined) return { inputs, output: parseTerm(rhs, equation) };
  const count = new Map<string, number>();
  for (const l of inputs.flat()) count.set(l, (count.get(l) ?? 0) + 1);
  const once = [...count].filter(([l, n]) => n === 1 && l !== ELLIPSIS).map(([l]) => l).sort();
  return { inputs, output: count.has(ELLIPSIS) ? [ELLIPSIS, ...once] : once };
}

export function formatEquation(inputs: Term[], output: Term): string {
  return `${inputs.map((t) => t.join('')).join(',')}->${output.join('')}`;
}

/** How many dims the ellipsis of a term stands for in an operand of rank `rank`. */
export function ellipsisRank(term: Term, rank: number): number {
  return term.includes(ELLIPSIS) ? rank - (term.length - 1) : 0;
}

/** The equation of an Einsum node. */
export function nodeEquation(node: Node): Equation {
  const equation = attrString(node, 'equation', '');
  if (equation === '') throw new Error(`Einsum node "${node.name}" has no equation attribute`);
  return parseEquation(equation);
}
