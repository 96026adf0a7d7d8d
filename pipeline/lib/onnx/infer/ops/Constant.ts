import { type AttrValue, DataType } from '../../ir.ts';
import { tensorFacts } from '../values.ts';
import type { Facts, InferRule } from '../rule.ts';

/** What the node's value attribute (in any of its forms) says. */
function constantFacts(c: { node: { attributes: Record<string, AttrValue> } }): Facts {
  for (const [name, a] of Object.entries(c.node.attributes)) {
    if (a.kind === 'tensor' && name === 'value') return tensorFacts(a.value);
    if (name === 'value_float') return { dtype: DataType.FLOAT, shape: [] };
    if (name === 'value_floats' && a.kind === 'floats') return { dtype: DataType.FLOAT, shape: [a.value.length] };
    if (name === 'value_int' && a.kind === 'int') return { dtype: DataType.INT64, shape: [], value: [a.value] };
    if (name === 'value_ints' && a.kind === 'ints') return { dtype: DataType.INT64, shape: [a.value.length], value: [...a.value] };
  }
  return {};
}

export const Constant: InferRule = {
  opTypes: ['Constant'],
  types: (c) => [constantFacts(c).dtype],
  shapes: (c) => {
    const { shape, value } = constantFacts(c);
    return [{ ...(shape ? { shape } : {}), ...(value ? { value } : {}) }];
  },
};

// A tensor of the shape given by input 0, filled with the value attribute (float 0 by default).
export const ConstantOfShape: InferRule = {
  opTypes: ['ConstantOfShape'],
  types: (c) => {
    const v = c.node.attributes.value;
    return [v?.kind === 'tensor' ? v.value.dataType : DataType.FLOAT];
  },
  shapes: (c) => {
    const { value, shape } = c.x(0);
    const rank = shape?.[0];
    return [value ? { shape: value } : typeof rank === 'number' ? { shape: c.symbols(rank) } : {}];
  },
};
