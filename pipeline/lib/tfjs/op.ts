// The contract between the interpreter and its per-op units: one unit per ONNX op type, in
// ops/<OpType>.ts, registered by name in registry.ts (like tfjs-core's gradients/<Op>_grad.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { Node, TensorValue } from '../onnx/ir.ts';

export interface OpContext {
  readonly node: Node;
  /** Input i; throws naming the node when it is omitted. */
  input(i: number): tf.Tensor;
  /** Input i, or undefined when it is omitted ('' or past the end). */
  optionalInput(i: number): tf.Tensor | undefined;
  /** Input i's elements as numbers (shapes, axes, ratios). Free for constant-derived inputs,
   * which the interpreter evaluates once; otherwise a synchronous read. */
  values(i: number): number[];
  attrInt(name: string, fallback?: number): number;
  attrFloat(name: string, fallback?: number): number;
  attrInts(name: string, fallback?: number[]): number[];
  attrTensor(name: string): TensorValue;
  /** A fresh inverted-dropout mask from the run's seeded stream. */
  dropoutMask(shape: number[], ratio: number): tf.Tensor;
  /** An error that names the node and its op type. */
  error(message: string): Error;
}

export interface OpUnit {
  readonly opType: string;
  /** Random ops are never evaluated ahead of time, even on constant inputs. */
  readonly random?: boolean;
  run(ctx: OpContext): tf.Tensor[];
}

/** ONNX axis (negative counts from the end) → 0-based axis; throws when out of range. */
export function normAxis(ctx: OpContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw ctx.error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Indices with ONNX's negative values (counting from the end of an axis of size n) made
 * non-negative, as tfjs expects; int32 in, int32 out. */
export function wrapNegative(indices: tf.Tensor, n: number): tf.Tensor {
  const int = tf.cast(indices, 'int32');
  return tf.where(tf.less(int, tf.scalar(0, 'int32')), tf.add(int, tf.scalar(n, 'int32')), int);
}
