// The normalisation rules (BatchNormalization in inference form, InstanceNormalization,
// GroupNormalization) against central finite differences (see helpers/grad-check.ts), and
// BatchNormalization's training form: its output shapes, and the refusal to differentiate it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addModelGradients } from '../pipeline/lib/autodiff/grad.ts';
import { GraphBuilder, attr, modelOf } from '../pipeline/lib/onnx/builder.ts';
import { inferFacts } from '../pipeline/lib/onnx/infer/facts.ts';
import { DataType } from '../pipeline/lib/onnx/ir.ts';
import { type Case, f, testCases } from './helpers/grad-check.ts';

/** BatchNormalization inputs for x of `dims` ([N, C, …]): every parameter differentiated,
 * the variance positive. */
const bnInputs = (dims: number[]): Case['inputs'] => {
  const c = [dims[1]!];
  return { x: f(dims), scale: f(c), bias: f(c), mean: f(c), variance: f(c, { positive: true }) };
};
const bn: Case['y'] = ({ b, x }) => b.op('BatchNormalization', [x.x!, x.scale!, x.bias!, x.mean!, x.variance!]);

const CASES: Case[] = [
  { name: 'BatchNormalization [N, C]', inputs: bnInputs([4, 3]), y: bn },
  {
    name: 'BatchNormalization [N, C, L], epsilon 1e-2',
    inputs: bnInputs([2, 3, 4]),
    y: ({ b, x }) => b.op('BatchNormalization', [x.x!, x.scale!, x.bias!, x.mean!, x.variance!], { epsilon: attr.float(1e-2) }),
  },
  {
    name: 'BatchNormalization [N, C, H, W], epsilon 0.5, training_mode 0',
    inputs: bnInputs([2, 3, 2, 3]),
    y: ({ b, x }) =>
      b.op('BatchNormalization', [x.x!, x.scale!, x.bias!, x.mean!, x.variance!], { epsilon: attr.float(0.5), training_mode: attr.int(0) }),
  },
  { name: 'BatchNormalization [N, C, H, W] (opset 13, no training_mode)', inputs: bnInputs([2, 2, 3, 2]), y: bn, opset: 13 },
  {
    name: 'BatchNormalization, only x differentiated',
    inputs: { ...bnInputs([2, 3, 4]), scale: f([3], { constant: true }), mean: f([3], { constant: true }), variance: f([3], { positive: true, constant: true }) },
    y: bn,
  },
  // onnxruntime's CPU InstanceNormalization has no double kernel.
  {
    name: 'InstanceNormalization, one spatial axis',
    inputs: { x: f([2, 3, 5]), scale: f([3]), bias: f([3]) },
    y: ({ b, x }) => b.op('InstanceNormalization', [x.x!, x.scale!, x.bias!]),
    float32: true,
  },
  {
    name: 'InstanceNormalization, two spatial axes, epsilon 1e-2',
    inputs: { x: f([2, 2, 3, 3]), scale: f([2]), bias: f([2]) },
    y: ({ b, x }) => b.op('InstanceNormalization', [x.x!, x.scale!, x.bias!], { epsilon: attr.float(1e-2) }),
    float32: true,
  },
  // Opset 18: scale and bias per group.
  {
    name: 'GroupNormalization 2 groups over C=4 (opset 18, scale per group)',
    inputs: { x: f([2, 4, 3]), scale: f([2]), bias: f([2]) },
    y: ({ b, x }) => b.op('GroupNormalization', [x.x!, x.scale!, x.bias!], { num_groups: attr.int(2) }),
    opset: 18,
  },
  {
    name: 'GroupNormalization groups = C, two spatial axes (opset 18)',
    inputs: { x: f([2, 3, 2, 2]), scale: f([3]), bias: f([3]) },
    y: ({ b, x }) => b.op('GroupNormalization', [x.x!, x.scale!, x.bias!], { num_groups: attr.int(3), epsilon: attr.float(1e-2) }),
    opset: 18,
  },
  // Opset 21: scale and bias per channel; stash_type double keeps the forward in double.
  {
    name: 'GroupNormalization 2 groups over C=4 (opset 21, scale per channel)',
    inputs: { x: f([2, 4, 3]), scale: f([4]), bias: f([4]) },
    y: ({ b, x }) => b.op('GroupNormalization', [x.x!, x.scale!, x.bias!], { num_groups: attr.int(2), stash_type: attr.int(DataType.DOUBLE) }),
    opset: 21,
  },
  {
    name: 'GroupNormalization groups = C, two spatial axes (opset 21)',
    inputs: { x: f([2, 4, 2, 2]), scale: f([4]), bias: f([4]) },
    y: ({ b, x }) =>
      b.op('GroupNormalization', [x.x!, x.scale!, x.bias!], { num_groups: attr.int(4), epsilon: attr.float(1e-2), stash_type: attr.int(DataType.DOUBLE) }),
    opset: 21,
  },
  {
    name: 'GroupNormalization in float32, default stash_type (opset 21)',
    inputs: { x: f([2, 4, 3]), scale: f([4]), bias: f([4]) },
    y: ({ b, x }) => b.op('GroupNormalization', [x.x!, x.scale!, x.bias!], { num_groups: attr.int(2) }),
    float32: true,
    opset: 21,
  },
];

testCases(CASES);

/** A training-mode BatchNormalization over x [N, 3, L] (N and L symbolic) and its loss. */
function trainingGraph(): { b: GraphBuilder; x: string; outs: string[] } {
  const b = new GraphBuilder('bn_training');
  const x = b.input('x', DataType.FLOAT, ['N', 3, 'L']);
  const params = ['scale', 'bias', 'mean', 'var'].map((n) => b.input(n, DataType.FLOAT, [3]));
  const outs = b.node('BatchNormalization', [x, ...params], { training_mode: attr.int(1) }, { outputs: 3, name: 'bn_train' });
  b.op('ReduceSum', [outs[0]!], { keepdims: attr.int(0) }, { outputs: ['loss'] });
  return { b, x, outs };
}

test('BatchNormalization in training mode: running statistics are [C], and no gradient', () => {
  const { b, x, outs } = trainingGraph();
  const graph = { ...b.build(), outputs: [{ name: 'loss', elemType: DataType.FLOAT }] };
  const facts = inferFacts(graph, 17);
  assert.deepEqual(facts.get(outs[0]!)?.shape, ['N', 3, 'L']);
  for (const o of outs.slice(1)) assert.deepEqual(facts.get(o), { dtype: DataType.FLOAT, shape: [3] });
  assert.throws(() => addModelGradients(modelOf(graph), 'loss', [x]), /BatchNormalization node "bn_train" in training mode/);
});
