// Elementwise ops of several inputs under numpy broadcasting. Add/Sub/Mul/Div also do
// arithmetic on known small integer contents (shape computations).
import { arith, broadcastShapes } from '../dims.ts';
import type { Dim } from '../../ir.ts';
import { type InferRule, one } from '../rule.ts';

const ARITHMETIC = new Set(['Add', 'Sub', 'Mul', 'Div']);

export const broadcast: InferRule = {
  opTypes: ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sum', 'Max', 'Min', 'Mean', 'Mod', 'PRelu'],
  shapes: (c) => {
    const { node } = c;
    const inputs = node.inputs.map((_, i) => c.x(i));
    const shape = broadcastShapes(inputs.map((f) => f.shape), (axis) => c.sym(axis));
    const [p, q] = inputs;
    let value: Dim[] | undefined;
    if (ARITHMETIC.has(node.opType) && p?.value && q?.value && (p.value.length === q.value.length || q.value.length === 1)) {
      value = p.value.map((d, i) => arith(node.opType, d, q.value![q.value!.length === 1 ? 0 : i]!, `?${node.outputs[0]}[${i}]`));
    }
    return one(shape, value);
  },
};
