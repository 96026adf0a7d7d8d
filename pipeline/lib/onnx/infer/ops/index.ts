// The registry: every inference unit by the op types it describes. An op without one gets
// its outputs' types from its first typed input and no shapes.
import type { InferRule } from '../rule.ts';
import { ArgMax } from './ArgMax.ts';
import { BatchNormalization } from './BatchNormalization.ts';
import { broadcast } from './broadcast.ts';
import { Concat } from './Concat.ts';
import { Constant, ConstantOfShape } from './Constant.ts';
import { Conv } from './Conv.ts';
import { Dropout } from './Dropout.ts';
import { Einsum } from './Einsum.ts';
import { elementwise } from './elementwise.ts';
import { Expand } from './Expand.ts';
import { Flatten } from './Flatten.ts';
import { Gather } from './Gather.ts';
import { Gemm } from './Gemm.ts';
import { Identity } from './Identity.ts';
import { LayerNormalization } from './LayerNormalization.ts';
import { comparison, predicate } from './logical.ts';
import { MatMul } from './MatMul.ts';
import { NonZero } from './NonZero.ts';
import { OneHot } from './OneHot.ts';
import { Pad } from './Pad.ts';
import { globalPool, pool } from './pool.ts';
import { random, randomLike } from './random.ts';
import { Range } from './Range.ts';
import { reduce } from './reduce.ts';
import { Reshape } from './Reshape.ts';
import { Shape, Size } from './Shape.ts';
import { Slice } from './Slice.ts';
import { Split } from './Split.ts';
import { Squeeze } from './Squeeze.ts';
import { Tile } from './Tile.ts';
import { TopK } from './TopK.ts';
import { Transpose } from './Transpose.ts';
import { Unsqueeze } from './Unsqueeze.ts';
import { Where } from './Where.ts';

const ALL: InferRule[] = [
  ArgMax, BatchNormalization, broadcast, comparison, Concat, Constant, ConstantOfShape, Conv, Dropout, Einsum, elementwise, Expand,
  Flatten, Gather, Gemm, globalPool,
  Identity, LayerNormalization, MatMul, NonZero, OneHot, Pad, pool, predicate, random, randomLike, Range, reduce, Reshape, Shape,
  Size, Slice, Split, Squeeze, Tile, TopK, Transpose, Unsqueeze, Where,
];

export const INFER_RULES: ReadonlyMap<string, InferRule> = new Map(ALL.flatMap((rule) => rule.opTypes.map((op) => [op, rule] as const)));
