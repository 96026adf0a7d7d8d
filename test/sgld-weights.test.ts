// Which initializers of a user's model are sampled: weights on a differentiable path to the
// output, never the buffers a PyTorch export stores beside them; --params / --freeze globs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder, attr, tensor } from '../pipeline/lib/onnx/builder.ts';
import { DataType, OPSET, type Graph } from '../pipeline/lib/onnx/ir.ts';
import { selectWeights } from '../pipeline/lib/sgld/weight-selection.ts';

/** y = BN(x·W + b with a −∞ mask, running stats) ^ p, plus an index table read through Cast, and an unused table. */
function bufferedModel(): Graph {
  const g = new GraphBuilder('buffers');
  const x = g.input('x', DataType.FLOAT, ['n', 4]);
  const W = g.initializer('fc.weight', tensor.float32([4, 4], new Array(16).fill(0.1)));
  const b = g.initializer('fc.bias', tensor.float32([4], [0, 0, 0, 0]));
  const mask = g.initializer('attn_mask', tensor.float32([4], [0, -Infinity, 0, 0]));
  const scale = g.initializer('bn.weight', tensor.float32([4], [1, 1, 1, 1]));
  const shift = g.initializer('bn.bias', tensor.float32([4], [0, 0, 0, 0]));
  const mean = g.initializer('bn.running_mean', tensor.float32([4], [0, 0, 0, 0]));
  const variance = g.initializer('bn.running_var', tensor.float32([4], [1, 1, 1, 1]));
  const exponent = g.initializer('exponent', tensor.float32([], [2]));
  const table = g.initializer('index_table', tensor.float32([2], [0, 1]));
  g.initializer('unused', tensor.float32([1], [3]));
  g.initializer('steps', tensor.int64([1], [7]));
  const h = g.op('Add', [g.op('Add', [g.op('MatMul', [x, W]), b]), mask]);
  const normed = g.op('BatchNormalization', [h, scale, shift, mean, variance]);
  const powered = g.op('Pow', [normed, exponent]);
  const picked = g.op('Gather', [powered, g.op('Cast', [table], { to: attr.int(DataType.INT64) })], { axis: attr.int(1) });
  g.op('Identity', [picked], {}, { outputs: ['y'] });
  g.output('y', DataType.FLOAT, ['n', 2]);
  return g.build();
}

test('weights are the float initializers the output depends on differentiably; buffers are named with the reason', () => {
  const s = selectWeights(bufferedModel(), OPSET, 'y');
  assert.deepEqual(s.weights.map((w) => w.name), ['fc.weight', 'fc.bias', 'bn.weight', 'bn.bias']);
  const why = Object.fromEntries(s.constants.map((c) => [c.name, c.why]));
  assert.match(why.attn_mask!, /NaN or ±∞/);
  assert.match(why['bn.running_mean']!, /BatchNormalization input 3/);
  assert.match(why['bn.running_var']!, /BatchNormalization input 4/);
  assert.match(why.exponent!, /Pow input 1/);
  assert.match(why.index_table!, /Cast input 0/);
  assert.match(why.unused!, /no node reads it/);
  assert.match(why.steps!, /not float32 \(INT64\)/);
  assert.deepEqual(s.weights.find((w) => w.name === 'fc.weight')?.shape, [4, 4]);
});

test('--params chooses the weights, --freeze removes some; globs that match nothing and empty selections are errors', () => {
  const graph = bufferedModel();
  const only = selectWeights(graph, OPSET, 'y', { params: ['fc.*', 'exponent'] });
  assert.deepEqual(only.weights.map((w) => w.name), ['fc.weight', 'fc.bias', 'exponent']);
  assert.match(only.constants.find((c) => c.name === 'bn.weight')!.why, /matches no --params glob/);
  const frozen = selectWeights(graph, OPSET, 'y', { freeze: ['bn.?ias', 'fc.bias'] });
  assert.deepEqual(frozen.weights.map((w) => w.name), ['fc.weight', 'bn.weight']);
  assert.match(frozen.constants.find((c) => c.name === 'bn.bias')!.why, /matches --freeze bn\.\?ias/);
  assert.throws(() => selectWeights(graph, OPSET, 'y', { params: ['decoder.*'] }), /no initializer matches "decoder\.\*"/);
  assert.throws(() => selectWeights(graph, OPSET, 'y', { freeze: ['*'] }), /no initializer is left to sample \(fc\.weight: matches --freeze \*/);
});
