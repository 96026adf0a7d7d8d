// The contract between the engine and one op's gradient rule (compare tfjs-core's
// src/gradients/<Op>_grad.ts): given the gradients reaching a node's outputs, emit the
// nodes that compute the gradients of its inputs.
import type { Dim, Node } from '../onnx/ir.ts';
import type { Emitter } from './emit.ts';

export interface RuleContext {
  /** The forward node (a copy the rule may give an extra optional output, see output()). */
  readonly node: Node;
  readonly e: Emitter;
  /** Name of input i; throws where it is absent. */
  input(i: number): string;
  /** Name of output i; an omitted optional output is added to the node under a fresh name. */
  output(i: number): string;
  /** Static shape of output i, if known: the shape of that output's gradient. */
  outShape(i?: number): Dim[] | undefined;
  /** Gradient reaching output i; throws where none does. */
  dy(i?: number): string;
  /** Gradient reaching output i, or undefined where none does. */
  dyMaybe(i: number): string | undefined;
  /** Whether the engine wants the gradient of input i (rules skip the others). */
  needs(i: number): boolean;
}

export interface GradRule {
  /** Default-domain op types this rule differentiates. */
  readonly opTypes: readonly string[];
  /** Gradients of the node's inputs, by input position (undefined: not computed). Each must
   * have its input's shape and element type. */
  grad(c: RuleContext): (string | undefined)[];
}

/** For rules whose gradient for every wanted input is computed one input at a time. */
export function eachInput(c: RuleContext, count: number, f: (i: number) => string): (string | undefined)[] {
  return Array.from({ length: count }, (_, i) => (c.needs(i) ? f(i) : undefined));
}
