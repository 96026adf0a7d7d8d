// Typed reads of node attributes with the defaults the ONNX operator specs give.
import type { Node } from './ir.ts';

export function attrInt(node: Node, name: string, fallback: number): number {
  const a = node.attributes[name];
  if (a === undefined) return fallback;
  if (a.kind !== 'int') throw new Error(`node "${node.name}" (${node.opType}): attribute ${name} is ${a.kind}, expected int`);
  return a.value;
}

export function attrFloat(node: Node, name: string, fallback: number): number {
  const a = node.attributes[name];
  if (a === undefined) return fallback;
  if (a.kind !== 'float') throw new Error(`node "${node.name}" (${node.opType}): attribute ${name} is ${a.kind}, expected float`);
  return a.value;
}

export function attrInts(node: Node, name: string): number[] | undefined {
  const a = node.attributes[name];
  if (a === undefined) return undefined;
  if (a.kind !== 'ints') throw new Error(`node "${node.name}" (${node.opType}): attribute ${name} is ${a.kind}, expected ints`);
  return a.value;
}

/** Input i of a node, or undefined where it is absent or omitted (''). */
export function optionalInput(node: Node, i: number): string | undefined {
  const name = node.inputs[i];
  return name === undefined || name === '' ? undefined : name;
}

/** The opset from which an op takes its axes (Split: its split sizes) as input 1 rather
 * than as an attribute: 13 for ReduceSum, Squeeze, Unsqueeze and Split, 18 for the other
 * Reduce ops. */
export function axesAreInput(opType: string, opset: number): boolean {
  const since = ['ReduceSum', 'Squeeze', 'Unsqueeze', 'Split'].includes(opType) ? 13 : 18;
  return opset >= since;
}

export function attrString(node: Node, name: string, fallback: string): string {
  const a = node.attributes[name];
  if (a === undefined) return fallback;
  if (a.kind !== 'string') throw new Error(`node "${node.name}" (${node.opType}): attribute ${name} is ${a.kind}, expected string`);
  return a.value;
}

/** An int list attribute, or `count` copies of `fallback` where it is absent or empty (an
 * empty list means the default as much as an absent one: onnxruntime reads it so). */
export function attrIntsOr(node: Node, name: string, count: number, fallback: number): number[] {
  const v = attrInts(node, name);
  return v?.length ? v : new Array<number>(count).fill(fallback);
}

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

/** The auto_pad attribute of a Conv, ConvTranspose or pooling node, validated. */
export function attrAutoPad(node: Node): AutoPad {
  const v = attrString(node, 'auto_pad', 'NOTSET');
  if (v !== 'NOTSET' && v !== 'SAME_UPPER' && v !== 'SAME_LOWER' && v !== 'VALID') {
    throw new Error(`node "${node.name}" (${node.opType}): auto_pad ${JSON.stringify(v)} is not NOTSET, SAME_UPPER, SAME_LOWER or VALID`);
  }
  return v;
}
