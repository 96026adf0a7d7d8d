// Ops whose output has the shape and element type of their first input: the elementwise
// functions, and ops that work along an axis without changing the shape.
import { type InferRule, likeInput } from '../rule.ts';

export const elementwise: InferRule = {
  opTypes: [
    'Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Tanh', 'Relu', 'Sigmoid', 'Erf', 'Gelu', 'LeakyRelu', 'Elu',
    'Softplus', 'Clip', 'Sin', 'Cos', 'Floor', 'Ceil', 'Round', 'Sign',
    'Selu', 'Celu', 'Softsign', 'HardSigmoid', 'HardSwish', 'Mish',
    'Softmax', 'LogSoftmax', 'InstanceNormalization', 'GroupNormalization', 'CumSum', 'Trilu', 'ScatterND', 'ScatterElements',
  ],
  shapes: likeInput,
};
