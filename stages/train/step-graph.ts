// The training step as an ONNX graph, for the onnxruntime engine. All weights are one flat
// vector w [P]; a Loop runs K steps per session.run, each step
//   L = mean over batch × positions of (pred − y)²     (pred: the network in train mode)
//   g = ∇L + λ·w;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  t ← t + 1
//   w ← w − (lr/(1−β1^t)) · m / (√v / √(1−β2^t) + eps)
// (decoupled, AdamW: g = ∇L and w ← w·(1 − lr·λ) before the update)
// — torch.optim.Adam with coupled L2 in the order of operations of stages/train/adam.ts
// (the tfjs engine), bias corrections in float64 as there. The Adam moments and step count
// are Loop state; the pre-update loss of every step is a scan output [K]. Minibatches come
// as row indices [K,B] into the training set, which is a graph input; dropout reads windows
// of a keep-bit table (dropout-masks.ts) at offsets [K,sites].
import { addGradients } from '../../pipeline/lib/autodiff/grad.ts';
import { GraphBuilder, attr, modelOf, tensor } from '../../pipeline/lib/onnx/builder.ts';
import { DataType, OPSET, type Graph, type Model, type ValueInfo } from '../../pipeline/lib/onnx/ir.ts';
import { parameterCount, seedParameters, type SeedModelConfig } from '../../pipeline/lib/model/config.ts';
import { flatWeights } from '../../pipeline/lib/model/flat-weights.ts';
import { stepLoop } from '../../pipeline/lib/onnx/step-loop.ts';
import { seedForward } from '../../pipeline/lib/model/seed-model.ts';
import { lowerForOnnxruntime, optimizeForward } from '../../pipeline/lib/sgld/optimize.ts';
import type { AdamOptions } from './adam.ts';
import { keepTable, tableConstant, tableDropout, tableSizeFor, type DropoutPlan } from './dropout-masks.ts';

/** Graph input and output names. */
export const TRAIN_IO = {
  params: 'params',
  m: 'adam_m',
  v: 'adam_v',
  step: 'adam_step',
  batchIndices: 'batch_indices',
  maskOffsets: 'mask_offsets',
  x: 'x',
  y: 'y',
  paramsOut: 'params_out',
  mOut: 'adam_m_out',
  vOut: 'adam_v_out',
  stepOut: 'adam_step_out',
  loss: 'loss',
} as const;

const TABLE = 'dropout_table';

export interface TrainStepGraph {
  model: Model;
  /** The dropout sites the offsets feed must cover; undefined without dropout. */
  dropout?: DropoutPlan;
}

/** K Adam steps per run on minibatches of `batch` rows; dropout masks from `seed`. */
export function buildTrainStepGraph(cfg: SeedModelConfig, adam: AdamOptions, batch: number, seed: number): TrainStepGraph {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`train step graph: batch must be a positive integer, got ${batch}`);
  const P = parameterCount(seedParameters(cfg));
  const T = cfg.seqLen;
  const flat = [P];
  const outer: ValueInfo[] = [
    { name: TRAIN_IO.batchIndices, elemType: DataType.INT64, shape: ['steps', batch] },
    { name: TRAIN_IO.maskOffsets, elemType: DataType.INT64, shape: ['steps', 'sites'] },
    { name: TRAIN_IO.x, elemType: DataType.INT64, shape: ['rows', T] },
    { name: TRAIN_IO.y, elemType: DataType.FLOAT, shape: ['rows', T] },
    { name: TABLE, elemType: DataType.FLOAT, shape: ['table'] },
  ];

  // The step: minibatch, forward in train mode, loss.
  const step = new GraphBuilder('train_step', 'step/');
  const iter = step.input('step/iter', DataType.INT64, []);
  const condIn = step.input('step/cond', DataType.BOOL, []);
  const w = step.input('step/params', DataType.FLOAT, flat);
  const m = step.input('step/adam_m', DataType.FLOAT, flat);
  const v = step.input('step/adam_v', DataType.FLOAT, flat);
  const t = step.input('step/adam_step', DataType.INT64, []);
  const offsets = step.fresh('mask_offsets');
  const rows = step.op('Gather', [TRAIN_IO.batchIndices, iter], { axis: attr.int(0) });
  const tokens = step.op('Gather', [TRAIN_IO.x, rows], { axis: attr.int(0) });
  const targets = step.op('Gather', [TRAIN_IO.y, rows], { axis: attr.int(0) });
  const weight = flatWeights(step, seedParameters(cfg), w, { lead: [], keepLead: false });
  const pred = seedForward(step, cfg, tokens, { training: cfg.dropout > 0, weight });
  const diff = step.op('Sub', [pred, targets]);
  const loss = step.op('ReduceMean', [step.op('Mul', [diff, diff])], { keepdims: attr.int(0) });

  const masked = tableDropout(step.build(), OPSET, outer, { table: TABLE, offsets });
  const sites = masked.sizes.length;
  // This step's offsets, first in the body, where there are sites to read them.
  const readOffsets = { name: step.fresh('Gather'), opType: 'Gather', inputs: [TRAIN_IO.maskOffsets, iter], outputs: [offsets], attributes: { axis: attr.int(0) } };
  const withMasks: Graph = sites ? { ...masked.graph, nodes: [readOffsets, ...masked.graph.nodes] } : masked.graph;
  const forward = optimizeForward(withMasks, OPSET, outer);
  const { graph: differentiated, gradients } = addGradients(forward, loss, [w], { opset: OPSET, prefix: 'grad/', outerScope: outer });
  const withGrad = lowerForOnnxruntime(differentiated, OPSET, outer);

  const u = new GraphBuilder('adam', 'adam/');
  const grad = gradients[w]!;
  const next = u.op('Add', [t, u.constant(tensor.int64([], [1]))]);
  const tD = u.op('Cast', [next], { to: attr.int(DataType.DOUBLE) });
  const f64 = (x: number) => u.constant(tensor.float64([], [x]), 'f64');
  const toFloat = (x: string) => u.op('Cast', [x], { to: attr.int(DataType.FLOAT) });
  const bc1 = u.op('Sub', [f64(1), u.op('Pow', [f64(adam.beta1), tD])]);
  const stepSize = toFloat(u.op('Div', [f64(adam.lr), bc1]));
  const sqrtBc2 = toFloat(u.op('Sqrt', [u.op('Sub', [f64(1), u.op('Pow', [f64(adam.beta2), tD])])]));
  const coupled = adam.decoupled ? 0 : adam.weightDecay;
  const g = coupled === 0 ? grad : u.op('Add', [grad, u.op('Mul', [w, u.scalar(coupled)])]);
  const m2 = u.op('Add', [u.op('Mul', [m, u.scalar(adam.beta1)]), u.op('Mul', [g, u.scalar(1 - adam.beta1)])]);
  const v2 = u.op('Add', [u.op('Mul', [v, u.scalar(adam.beta2)]), u.op('Mul', [u.op('Mul', [g, g]), u.scalar(1 - adam.beta2)])]);
  const denom = u.op('Add', [u.op('Div', [u.op('Sqrt', [v2]), sqrtBc2]), u.scalar(adam.eps)]);
  const shrunk = adam.decoupled && adam.weightDecay !== 0 ? u.op('Mul', [w, u.scalar(1 - adam.lr * adam.weightDecay)]) : w;
  const w2 = u.op('Sub', [shrunk, u.op('Mul', [u.op('Div', [m2, denom]), stepSize])]);
  const body: Graph = { ...withGrad, nodes: [...withGrad.nodes, ...u.nodes] };

  const o = new GraphBuilder('train');
  o.input(TRAIN_IO.params, DataType.FLOAT, flat);
  o.input(TRAIN_IO.m, DataType.FLOAT, flat);
  o.input(TRAIN_IO.v, DataType.FLOAT, flat);
  o.input(TRAIN_IO.step, DataType.INT64, []);
  for (const value of outer) {
    if (value.name === TABLE || (value.name === TRAIN_IO.maskOffsets && !sites)) continue;
    o.input(value.name, value.elemType, value.shape);
  }
  let dropout: DropoutPlan | undefined;
  if (sites) {
    dropout = { sizes: masked.sizes, ratio: masked.ratio, tableSize: tableSizeFor(masked.sizes) };
    tableConstant(o, TABLE, keepTable(seed, dropout), dropout.ratio);
  }
  const state = (initial: string, next: string, final: string, elemType: DataType, shape: number[]) => ({ initial, next, final, elemType, shape });
  stepLoop(o, TRAIN_IO.batchIndices, body, condIn, [
    state(TRAIN_IO.params, w2, TRAIN_IO.paramsOut, DataType.FLOAT, flat),
    state(TRAIN_IO.m, m2, TRAIN_IO.mOut, DataType.FLOAT, flat),
    state(TRAIN_IO.v, v2, TRAIN_IO.vOut, DataType.FLOAT, flat),
    state(TRAIN_IO.step, next, TRAIN_IO.stepOut, DataType.INT64, []),
  ], [{ value: loss, stacked: TRAIN_IO.loss, elemType: DataType.FLOAT, shape: [] }]);
  return dropout ? { model: modelOf(o.build()), dropout } : { model: modelOf(o.build()) };
}
