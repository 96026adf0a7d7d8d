// Random tensors and EyeLike: element type from the dtype attribute; shape from the shape
// attribute, or from the input for the -Like forms.
import { DataType } from '../../ir.ts';
import { attrInts } from '../../attrs.ts';
import { type InferContext, type InferRule, likeInput, one } from '../rule.ts';

const dtype = (c: InferContext, fallback: DataType | undefined): DataType | undefined => {
  const a = c.node.attributes.dtype;
  return a?.kind === 'int' ? (a.value as DataType) : fallback;
};

export const random: InferRule = {
  opTypes: ['RandomNormal', 'RandomUniform'],
  types: (c) => [dtype(c, DataType.FLOAT)],
  shapes: (c) => one(attrInts(c.node, 'shape')),
};

export const randomLike: InferRule = {
  opTypes: ['RandomNormalLike', 'RandomUniformLike', 'EyeLike'],
  types: (c) => [dtype(c, c.x(0).dtype)],
  shapes: likeInput,
};
