// Shared by the Reduce* rules: how a Reduce node's output lines up with its input.
import { attrInt, attrInts, axesAreInput, optionalInput } from '../onnx/attrs.ts';
import type { RuleContext } from './rule.ts';

export type Reduction =
  /** The node reduced nothing (empty axes with noop_with_empty_axes). */
  | { identity: true }
  | {
      identity: false;
      /** The reduced axes ([] = all of them); undefined where they are only known at runtime. */
      axes: number[] | undefined;
      /** Brings a value of the output's shape back to the input's rank, the reduced axes as
       * 1s, so that it broadcasts against the input. */
      restore: (v: string) => string;
    };

export function reduction(c: RuleContext): Reduction {
  const { e, node } = c;
  let axes: number[] | undefined;
  if (axesAreInput(node.opType, e.opset)) {
    const input = optionalInput(node, 1);
    axes = input === undefined ? [] : e.intsOf(input);
  } else {
    axes = attrInts(node, 'axes') ?? [];
  }
  if (axes?.length === 0 && attrInt(node, 'noop_with_empty_axes', 0)) return { identity: true };
  // With keepdims, or with every axis reduced, the output broadcasts as it is; without
  // keepdims the reduced axes must be known to put them back.
  if (axes?.length === 0 || attrInt(node, 'keepdims', 1)) return { identity: false, axes, restore: (v) => v };
  if (axes === undefined) throw new Error(`autodiff: the gradient of ${node.opType} node "${node.name}" (keepdims=0) needs constant axes`);
  const known = axes;
  return { identity: false, axes, restore: (v) => e.unsqueeze(v, known) };
}
