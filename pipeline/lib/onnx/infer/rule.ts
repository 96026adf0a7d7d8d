// The contract between the inference walk and one op's inference unit (compare the
// gradient rules' rule.ts): given what is known of a node's inputs, say what is known of
// its outputs.
import type { DataType, Dim, Node } from '../ir.ts';
import type { Products } from './dims.ts';

export interface Facts {
  dtype?: DataType;
  /** Absent when the rank is unknown. */
  shape?: Dim[];
  /** Row-major contents of a small integer tensor (a shape, axes, an index), when known. */
  value?: Dim[];
}

export type ShapeFacts = Pick<Facts, 'shape' | 'value'>;

export interface InferContext {
  readonly node: Node;
  readonly opset: number;
  /** Facts of input i; {} where it is absent or nothing is known. */
  x(i: number): Facts;
  /** A symbol for a dim of output `out` nobody can name statically, made from that output's
   * name, so every use of the value sees the same symbol. */
  sym(axis: number, out?: number): string;
  symbols(rank: number, out?: number): Dim[];
  /** Canonical names for products of dims (see dims.ts). */
  readonly products: Products;
  /** The node's static axes (Split: split sizes), from its input 1 or its attribute as the
   * opset has them; undefined where they are only known at runtime or not given. */
  axes(): number[] | undefined;
}

export interface InferRule {
  /** Default-domain op types this unit describes. */
  readonly opTypes: readonly string[];
  /** Element type of each output; without this, every output has the first typed input's type. */
  types?(c: InferContext): (DataType | undefined)[];
  /** Shape (and small integer contents) of each output. */
  shapes(c: InferContext): ShapeFacts[];
}

/** A one-output result. */
export function one(shape: Dim[] | undefined, value?: Dim[]): ShapeFacts[] {
  return [{ ...(shape ? { shape } : {}), ...(value ? { value } : {}) }];
}

/** Every output shaped like input 0 (the elementwise ops). */
export function likeInput(c: InferContext): ShapeFacts[] {
  const shape = c.x(0).shape;
  return c.node.outputs.map(() => (shape ? { shape } : {}));
}
