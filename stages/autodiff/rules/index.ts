// The registry: every gradient rule by the op types it covers, and the ops that stop the
// gradient without error (their outputs do not depend differentiably on their inputs).
import type { GradRule } from '../rule.ts';
import { Add } from './Add.ts';
import { Cast } from './Cast.ts';
import { Concat } from './Concat.ts';
import { Div } from './Div.ts';
import { Dropout } from './Dropout.ts';
import { Exp } from './Exp.ts';
import { Expand } from './Expand.ts';
import { Gather } from './Gather.ts';
import { Gemm } from './Gemm.ts';
import { Identity } from './Identity.ts';
import { LayerNormalization } from './LayerNormalization.ts';
import { Log } from './Log.ts';
import { MatMul } from './MatMul.ts';
import { Mul } from './Mul.ts';
import { Neg } from './Neg.ts';
import { Pow } from './Pow.ts';
import { Reciprocal } from './Reciprocal.ts';
import { ReduceMean } from './ReduceMean.ts';
import { ReduceProd } from './ReduceProd.ts';
import { ReduceSum } from './ReduceSum.ts';
import { Relu } from './Relu.ts';
import { Reshape } from './Reshape.ts';
import { Sigmoid } from './Sigmoid.ts';
import { Slice } from './Slice.ts';
import { Softmax } from './Softmax.ts';
import { Split } from './Split.ts';
import { Sqrt } from './Sqrt.ts';
import { Sub } from './Sub.ts';
import { Sum } from './Sum.ts';
import { Tanh } from './Tanh.ts';
import { Transpose } from './Transpose.ts';
import { Trilu } from './Trilu.ts';
import { Where } from './Where.ts';

const ALL: GradRule[] = [
  Add, Cast, Concat, Div, Dropout, Exp, Expand, Gather, Gemm, Identity, LayerNormalization, Log, MatMul, Mul,
  Neg, Pow, Reciprocal, ReduceMean, ReduceProd, ReduceSum, Relu, Reshape, Sigmoid, Slice, Softmax, Split, Sqrt, Sub, Sum,
  Tanh, Transpose, Trilu, Where,
];

export const RULES: ReadonlyMap<string, GradRule> = new Map(ALL.flatMap((rule) => rule.opTypes.map((op) => [op, rule] as const)));

/** Ops whose outputs carry no gradient: shapes, constants, comparisons and logic, index
 * producers, piecewise-constant functions and random numbers. (Integer and boolean values
 * stop the gradient anyway; this list also covers their float-valued outputs.) */
export const NON_DIFFERENTIABLE: ReadonlySet<string> = new Set([
  'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Range', 'NonZero', 'EyeLike', 'OneHot',
  'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf',
  'ArgMax', 'ArgMin', 'Floor', 'Ceil', 'Round', 'Sign',
  'RandomNormal', 'RandomNormalLike', 'RandomUniform', 'RandomUniformLike', 'Bernoulli', 'Multinomial',
]);
