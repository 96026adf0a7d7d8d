// Arithmetic on dims, symbolic ones included: broadcasting, products under canonical names,
// shape arithmetic on small integer tensors, and which positions a Slice picks.
import type { Dim } from '../ir.ts';

/** Broadcast of two dims; `unknown` where it depends on runtime sizes. */
export function broadcastDim(a: Dim, b: Dim, unknown: Dim): Dim {
  if (a === b || b === 1) return a;
  if (a === 1) return b;
  // A fixed size other than 1 wins: the other side must be 1 or equal to it.
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return unknown;
}

/** Multidirectional (numpy) broadcast of shapes; undefined if any rank is unknown. */
export function broadcastShapes(shapes: (Dim[] | undefined)[], unknown: (axis: number) => Dim): Dim[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const known = shapes as Dim[][];
  const rank = Math.max(0, ...known.map((s) => s.length));
  return Array.from({ length: rank }, (_, axis) =>
    known.reduce<Dim>((acc, s) => {
      const d = s[axis - (rank - s.length)];
      return d === undefined ? acc : broadcastDim(acc, d, unknown(axis));
    }, 1),
  );
}

/**
 * Products of dims, symbolic ones included, under canonical names: equal products get equal
 * names, so a size folded into one axis (a Reshape to [.., -1, ..]) and unfolded again by
 * another Reshape comes back as the very symbol it started as.
 */
export class Products {
  /** Numeric coefficient and symbolic factors (sorted, with repeats) of each named product. */
  private readonly named = new Map<string, { coef: number; syms: string[] }>();

  private split(dims: Dim[]): { coef: number; syms: string[] } {
    let coef = 1;
    const syms: string[] = [];
    for (const d of dims) {
      const p = typeof d === 'number' ? { coef: d, syms: [] } : this.named.get(d) ?? { coef: 1, syms: [d] };
      coef *= p.coef;
      syms.push(...p.syms);
    }
    return { coef, syms: syms.sort() };
  }

  private name(coef: number, syms: string[]): Dim {
    if (coef === 0 || syms.length === 0) return coef;
    if (coef === 1 && syms.length === 1) return syms[0]!;
    const name = `?product${JSON.stringify([coef, ...syms])}`;
    this.named.set(name, { coef, syms });
    return name;
  }

  product(dims: Dim[]): Dim {
    const { coef, syms } = this.split(dims);
    return this.name(coef, syms);
  }

  /** The dim d with d·product(rest) = product(total), where the factors say so; else undefined.
   * (A Reshape's -1: a runtime 0 among rest's symbols would be an error there anyway.) */
  quotient(total: Dim[], rest: Dim[]): Dim | undefined {
    const t = this.split(total);
    const r = this.split(rest);
    if (r.coef === 0 || t.coef % r.coef !== 0) return undefined;
    const left = [...t.syms];
    for (const sym of r.syms) {
      const at = left.indexOf(sym);
      if (at < 0) return undefined;
      left.splice(at, 1);
    }
    return this.name(t.coef / r.coef, left);
  }
}

/** Add/Sub/Mul/Div of two dims; `unknown` where symbols make it unknowable. */
export function arith(op: string, a: Dim, b: Dim, unknown: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case 'Add': return a + b;
      case 'Sub': return a - b;
      case 'Mul': return a * b;
      case 'Div': return Math.trunc(a / b);
    }
  }
  if (op === 'Mul' && b === 1) return a;
  if (op === 'Mul' && a === 1) return b;
  if ((op === 'Add' || op === 'Sub') && b === 0) return a;
  return unknown;
}

/** The positions an ONNX Slice picks from a dim of size `size` (clamping as the spec says). */
export function sliceIndices(size: number, start: number, end: number, step: number): number[] {
  const norm = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + size : v, lo), hi);
  const picked: number[] = [];
  if (step > 0) for (let i = norm(start, 0, size); i < norm(end, 0, size); i += step) picked.push(i);
  else for (let i = norm(start, 0, size - 1); i > norm(end, -1, size - 1); i += step) picked.push(i);
  return picked;
}

export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
