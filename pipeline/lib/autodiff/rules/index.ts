// The registry: every gradient rule by the op types it covers, and the ops that stop the
// gradient without error (their outputs do not depend differentiably on their inputs).
import type { GradRule } from '../rule.ts';
import { Abs } from './Abs.ts';
import { Add } from './Add.ts';
import { AveragePool } from './AveragePool.ts';
import { BatchNormalization } from './BatchNormalization.ts';
import { Cast } from './Cast.ts';
import { Celu } from './Celu.ts';
import { Clip } from './Clip.ts';
import { Concat } from './Concat.ts';
import { Conv } from './Conv.ts';
import { ConvTranspose } from './ConvTranspose.ts';
import { Cos } from './Cos.ts';
import { CumSum } from './CumSum.ts';
import { Div } from './Div.ts';
import { Dropout } from './Dropout.ts';
import { Einsum } from './Einsum.ts';
import { Elu } from './Elu.ts';
import { Erf } from './Erf.ts';
import { Exp } from './Exp.ts';
import { Expand } from './Expand.ts';
import { Gather } from './Gather.ts';
import { Gelu } from './Gelu.ts';
import { Gemm } from './Gemm.ts';
import { GlobalAveragePool } from './GlobalAveragePool.ts';
import { GlobalMaxPool } from './GlobalMaxPool.ts';
import { GroupNormalization } from './GroupNormalization.ts';
import { HardSigmoid } from './HardSigmoid.ts';
import { HardSwish } from './HardSwish.ts';
import { Identity } from './Identity.ts';
import { InstanceNormalization } from './InstanceNormalization.ts';
import { LayerNormalization } from './LayerNormalization.ts';
import { LeakyRelu } from './LeakyRelu.ts';
import { Log } from './Log.ts';
import { LogSoftmax } from './LogSoftmax.ts';
import { MatMul } from './MatMul.ts';
import { Max } from './Max.ts';
import { MaxPool } from './MaxPool.ts';
import { Min } from './Min.ts';
import { Mish } from './Mish.ts';
import { Mod } from './Mod.ts';
import { Mul } from './Mul.ts';
import { Neg } from './Neg.ts';
import { Pad } from './Pad.ts';
import { Pow } from './Pow.ts';
import { PRelu } from './PRelu.ts';
import { Reciprocal } from './Reciprocal.ts';
import { ReduceMean } from './ReduceMean.ts';
import { ReduceProd } from './ReduceProd.ts';
import { ReduceSum } from './ReduceSum.ts';
import { Relu } from './Relu.ts';
import { Reshape } from './Reshape.ts';
import { Selu } from './Selu.ts';
import { Sigmoid } from './Sigmoid.ts';
import { Sin } from './Sin.ts';
import { Slice } from './Slice.ts';
import { Softmax } from './Softmax.ts';
import { Softplus } from './Softplus.ts';
import { Softsign } from './Softsign.ts';
import { Split } from './Split.ts';
import { Sqrt } from './Sqrt.ts';
import { Sub } from './Sub.ts';
import { Sum } from './Sum.ts';
import { Tanh } from './Tanh.ts';
import { Tile } from './Tile.ts';
import { Transpose } from './Transpose.ts';
import { Trilu } from './Trilu.ts';
import { Where } from './Where.ts';

const ALL: GradRule[] = [
  Abs, Add, AveragePool, BatchNormalization, Cast, Celu, Clip, Concat, Conv, ConvTranspose, Cos, CumSum, Div, Dropout, Einsum, Elu, Erf, Exp, Expand, Gather, Gelu, Gemm,
  GlobalAveragePool, GlobalMaxPool, GroupNormalization, HardSigmoid, HardSwish, Identity, InstanceNormalization, LayerNormalization, LeakyRelu, Log,
  LogSoftmax, MatMul, Max, MaxPool, Min, Mish, Mod, Mul, Neg, Pad, Pow, PRelu, Reciprocal, ReduceMean, ReduceProd, ReduceSum, Relu,
  Reshape, Selu, Sigmoid, Sin, Slice, Softmax, Softplus, Softsign, Split, Sqrt, Sub, Sum, Tanh, Tile, Transpose, Trilu,
  Where,
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
