// Every ONNX op type the interpreter runs, by name. Supporting a new op is one file in ops/
// and one line here.
import type { OpUnit } from './op.ts';
import { Add } from './ops/Add.ts';
import { Constant } from './ops/Constant.ts';
import { Dropout } from './ops/Dropout.ts';
import { Gather } from './ops/Gather.ts';
import { LayerNormalization } from './ops/LayerNormalization.ts';
import { MatMul } from './ops/MatMul.ts';
import { Mul } from './ops/Mul.ts';
import { OneHot } from './ops/OneHot.ts';
import { Relu } from './ops/Relu.ts';
import { Reshape } from './ops/Reshape.ts';
import { Sigmoid } from './ops/Sigmoid.ts';
import { Softmax } from './ops/Softmax.ts';
import { Split } from './ops/Split.ts';
import { Squeeze } from './ops/Squeeze.ts';
import { Transpose } from './ops/Transpose.ts';
import { Unsqueeze } from './ops/Unsqueeze.ts';

const UNITS: readonly OpUnit[] = [
  Add, Constant, Dropout, Gather, LayerNormalization, MatMul, Mul, OneHot, Relu, Reshape, Sigmoid, Softmax, Split, Squeeze, Transpose, Unsqueeze,
];

const REGISTRY: ReadonlyMap<string, OpUnit> = new Map(UNITS.map((u) => [u.opType, u]));

/** The unit for an op type of the default ONNX domain, or undefined. */
export function opUnit(opType: string): OpUnit | undefined {
  return REGISTRY.get(opType);
}

export function supportedOpTypes(): string[] {
  return [...REGISTRY.keys()].sort();
}
