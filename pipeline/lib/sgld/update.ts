// The SGLD step as an ONNX graph (DESIGN.md). All chains' weights are one flat input
// params [C,P]; a Loop runs K steps per session.run, each step
//   loss_c = Σ_rows weight·(pred − y)²        (the minibatch MSE of chain c)
//   (or, cross-entropy: Σ_positions weight·(log Σ_k exp(pred_k) − pred_y), y class indices
//   and pred logits over the last axis: torch's cross_entropy with mean reduction)
//   dw     = nβ·∇loss_c + λ·w + γ·(w − w₀)
//   w     ← w − (ε/2)·dw + √ε·σ·N(0, 1)
// in devinterp's order of operations, with the pre-update loss as scan output [K,C]. With
// RMSProp preconditioning (devinterp's SGMCMC.rmsprop_sgld, α 0.99, eps 0.1) the chains also
// carry v [C,P] from step to step (and run to run), g = ∇loss_c:
//   v ← α·v + (1−α)·g²,  G = 1/(√v + eps)
//   w ← w − (ε/2)·G·dw + √ε·σ·√G·N(0, 1)
// A chain restricted to part of the weights (devinterp's optimize_over, a mask in its
// MaskPreconditioner) multiplies its drift and noise by a 0/1 mask [C,P]: the weights outside
// the mask stay at w₀. The gradient is that of Σ_c loss_c, which gives every chain its own
// gradient since chains share nothing. The noise N(0, 1) is an input [K,C,P] drawn from
// each chain's own stream (noise.ts), not an onnxruntime random op. Every step also reports,
// per chain, the norms of the loss gradient, of the noise added and of the localization pull γ(w − w₀), the distance |w − w₀|,
// and (plain SGLD) devinterp's MALA acceptance probability of the previous step's move, with
// U(w) = nβ·L(w) + γ/2·|w − w₀|² + λ/2·|w|² and its drift D = ∇U (slt/mala.py):
//   a = min(1, exp(U(w′) − U(w) − |w′ − w + (ε/2)D(w)|²/2ε + |w − w′ − (ε/2)D(w′)|²/2ε))
// for the move w′ → w; w′, D(w′), U(w′) are carried from step to step. Minibatches come as
// row indices and loss weights [K,C,B] plus
// each step's width [K]:
// the step computes only that many rows, so a pass's short last batch is cheaper.
import { addGradients } from '../autodiff/grad.ts';
import { GraphBuilder, attr, tensor } from '../onnx/builder.ts';
import { axesAreInput } from '../onnx/attrs.ts';
import { DataType, IR_VERSION, elementCount, type Dim, type Graph, type Model, type ValueInfo } from '../onnx/ir.ts';
import type { SgldModel } from './sampled-model.ts';
import { lowerForOnnxruntime, optimizeForward } from './optimize.ts';
import { flatWeights } from '../model/flat-weights.ts';
import { stepLoop, type LoopState } from '../onnx/step-loop.ts';

/** Graph input and output names. */
export const IO = {
  params: 'params',
  w0: 'w0',
  lr: 'lr',
  nbeta: 'nbeta',
  localization: 'localization',
  weightDecay: 'weight_decay',
  noiseLevel: 'noise_level',
  /** Standard normal noise [K,C,P]: step k, chain c (noise.ts). */
  noise: 'noise',
  batchIndices: 'batch_indices',
  batchWeights: 'batch_weights',
  batchWidths: 'batch_widths',
  x: 'x',
  y: 'y',
  paramsOut: 'params_out',
  /** 1 where a chain samples a weight, 0 where it holds it at w₀ [C,P] (masked graphs only). */
  mask: 'mask',
  /** RMSProp's running mean of squared gradients [C,P] (rmsprop_sgld only). */
  squareAvg: 'square_avg',
  squareAvgOut: 'square_avg_out',
  /** MALA's previous point, drift and energy (plain SGLD only). */
  malaPoint: 'mala_point',
  malaDrift: 'mala_drift',
  malaEnergy: 'mala_energy',
  malaPointOut: 'mala_point_out',
  malaDriftOut: 'mala_drift_out',
  malaEnergyOut: 'mala_energy_out',
  loss: 'loss',
} as const;

/** Per-step chain diagnostics, each a scan output [K,C] named as here. */
export const DIAGNOSTICS = ['grad_norm', 'noise_norm', 'pull_norm', 'distance', 'mala_acceptance'] as const;
export type Diagnostic = (typeof DIAGNOSTICS)[number];

export type SamplerKind = 'sgld' | 'rmsprop_sgld';

/** devinterp's RMSpropPreconditioner defaults, which SGMCMC.rmsprop_sgld uses. */
export const RMSPROP = { alpha: 0.99, eps: 0.1 } as const;

/** The per-chain hyperparameters, each fed as [C,1]. */
export const HYPERPARAMETERS = [IO.lr, IO.nbeta, IO.localization, IO.weightDecay, IO.noiseLevel] as const;

/** What the minibatch loss compares the prediction with: float targets of its own shape
 * (MSE), or int64 class indices of its shape without the last axis, which holds `classes`
 * logits (cross-entropy). */
export type Loss = { kind: 'mse' } | { kind: 'ce'; classes: number };

export interface GraphShape {
  chains: number;
  /** Rows per minibatch (the padded batch width). */
  batch: number;
  /** Shape of one row of x and of y. */
  xRow: number[];
  yRow: number[];
  /** Default MSE. */
  loss?: Loss;
}

export function parameterTotal(model: SgldModel): number {
  return model.params.reduce((n, p) => n + elementCount(p.shape), 0);
}

function modelOfGraph(graph: Graph, model: SgldModel): Model {
  return {
    irVersion: IR_VERSION,
    // Our own ops are valid from opset 17 on; an imported model may need a later one.
    opsetImports: [{ domain: '', version: Math.max(17, model.opset) }],
    producerName: 'llc-pipeline',
    producerVersion: '0.1.0',
    graph,
  };
}

/** Data inputs shared by both graphs: the training set and its minibatch schedule. */
function dataInputs(model: SgldModel, s: GraphShape, batchLead: Dim[]): ValueInfo[] {
  return [
    { name: IO.batchIndices, elemType: DataType.INT64, shape: [...batchLead, s.chains, s.batch] },
    { name: IO.batchWeights, elemType: DataType.FLOAT, shape: [...batchLead, s.chains, s.batch] },
    { name: IO.x, elemType: model.inputType, shape: ['rows', ...s.xRow] },
    { name: IO.y, elemType: s.loss?.kind === 'ce' ? DataType.INT64 : DataType.FLOAT, shape: ['rows', ...s.yRow] },
  ];
}

/**
 * Writes the per-chain minibatch loss [C] at the flat weights `params` [C,P], for the
 * minibatch rows `indices` [C,B] with loss weights `weights` [C,B] (1/(rows·elements) for
 * the rows of the batch, 0 for padding; elements: the targets per row).
 */
function minibatchLoss(g: GraphBuilder, model: SgldModel, s: GraphShape, params: string, indices: string, weights: string): string {
  const weight = flatWeights(g, model.params, params, { lead: [s.chains], keepLead: model.chainAxis });
  const pred = model.forward(g, g.op('Gather', [IO.x, indices], { axis: attr.int(0) }), weight, s.chains);
  const target = g.op('Gather', [IO.y, indices], { axis: attr.int(0) });
  const ce = s.loss?.kind === 'ce' ? s.loss : undefined;
  // (The MSE nodes are written in the order they always were, so its graphs stay byte-identical.)
  const diff = ce ? '' : g.op('Sub', [pred, target]);
  const rowAxes = s.yRow.map((_, i) => i + 2);
  const rowWeights = rowAxes.length ? g.op('Unsqueeze', [weights, g.ints(rowAxes)]) : weights;
  const terms = ce ? crossEntropyTerms(g, pred, target, ce.classes, Math.max(17, model.opset)) : g.op('Mul', [diff, diff]);
  const weighted = g.op('Mul', [terms, rowWeights]);
  return g.op('ReduceSum', [weighted, g.ints([1, ...rowAxes])], { keepdims: attr.int(0) });
}

/**
 * −log softmax(logits)[target] per target position: logits [..., V], target int64 [...].
 * The log-sum-exp is taken after subtracting m = ⌊max⌋, so exp never overflows (the largest
 * term lies in [1, e)); Floor stops the gradient at m, which is exact since the shift
 * cancels: lse(x) − x_y = log Σ exp(x − m) − (x_y − m).
 */
function crossEntropyTerms(g: GraphBuilder, logits: string, target: string, classes: number, opset: number): string {
  const last = [-1];
  const max = axesAreInput('ReduceMax', opset)
    ? g.op('ReduceMax', [logits, g.ints(last)], { keepdims: attr.int(1) })
    : g.op('ReduceMax', [logits], { axes: attr.ints(last), keepdims: attr.int(1) });
  const shifted = g.op('Sub', [logits, g.op('Floor', [max])]);
  const sumOverClasses = (v: string) => g.op('ReduceSum', [v, g.ints(last)], { keepdims: attr.int(0) });
  const logSumExp = g.op('Log', [sumOverClasses(g.op('Exp', [shifted]))]);
  const oneHot = g.op('OneHot', [target, g.ints([classes]), g.constant(tensor.float32([2], [0, 1]))], { axis: attr.int(-1) });
  return g.op('Sub', [logSumExp, sumOverClasses(g.op('Mul', [shifted, oneHot]))]);
}

/** Forward only: per-chain loss [C] at params [C,P] on one minibatch per chain (init_loss). */
export function buildLossGraph(model: SgldModel, s: GraphShape): Model {
  checkShape(model, s);
  const g = new GraphBuilder('minibatch_loss');
  const P = parameterTotal(model);
  g.input(IO.params, DataType.FLOAT, [s.chains, P]);
  for (const v of dataInputs(model, s, [])) g.input(v.name, v.elemType, v.shape);
  const loss = minibatchLoss(g, model, s, IO.params, IO.batchIndices, IO.batchWeights);
  g.op('Identity', [loss], {}, { outputs: [IO.loss] });
  g.output(IO.loss, DataType.FLOAT, [s.chains]);
  const opset = Math.max(17, model.opset);
  return modelOfGraph(lowerForOnnxruntime(optimizeForward(g.build(), opset), opset), model);
}

/** K SGLD steps per run for C chains, K the first dimension of the minibatch and noise inputs. */
export function buildSgldGraph(model: SgldModel, s: GraphShape, sampler: SamplerKind = 'sgld', masked = false): Model {
  checkShape(model, s);
  const P = parameterTotal(model);
  const C = s.chains;
  const opset = Math.max(17, model.opset);

  const g = new GraphBuilder('sgld');
  const flat = [C, P];
  const perChain = [C, 1];
  const rmsprop = sampler === 'rmsprop_sgld';
  g.input(IO.params, DataType.FLOAT, flat);
  if (rmsprop) g.input(IO.squareAvg, DataType.FLOAT, flat);
  if (masked) g.input(IO.mask, DataType.FLOAT, flat);
  if (!rmsprop) {
    g.input(IO.malaPoint, DataType.FLOAT, flat);
    g.input(IO.malaDrift, DataType.FLOAT, flat);
    g.input(IO.malaEnergy, DataType.FLOAT, perChain);
  }
  g.input(IO.w0, DataType.FLOAT, flat);
  for (const h of HYPERPARAMETERS) g.input(h, DataType.FLOAT, perChain);
  const data = [...dataInputs(model, s, ['steps']), { name: IO.batchWidths, elemType: DataType.INT64, shape: ['steps'] }, { name: IO.noise, elemType: DataType.FLOAT, shape: ['steps', C, P] }];
  for (const v of data) g.input(v.name, v.elemType, v.shape);
  const halfLr = g.op('Mul', [IO.lr, g.scalar(0.5)], {}, { outputs: ['half_lr'] });
  const noiseScale = g.op('Mul', [g.op('Sqrt', [IO.lr]), IO.noiseLevel], {}, { outputs: ['noise_scale'] });

  // The step: forward and loss, then its gradient, then the update.
  const step = new GraphBuilder('sgld_step', 'step/');
  const iter = step.input('step/iter', DataType.INT64, []);
  const condIn = step.input('step/cond', DataType.BOOL, []);
  const w = step.input('step/params', DataType.FLOAT, flat);
  const v = rmsprop ? step.input('step/square_avg', DataType.FLOAT, flat) : undefined;
  const mala = rmsprop
    ? undefined
    : { point: step.input('step/mala_point', DataType.FLOAT, flat), drift: step.input('step/mala_drift', DataType.FLOAT, flat), energy: step.input('step/mala_energy', DataType.FLOAT, perChain) };
  const gather = (src: string) => step.op('Gather', [src, iter], { axis: attr.int(0) });
  // Only the step's batch width is computed: the short last batch of a pass costs less.
  const width = step.op('Reshape', [gather(IO.batchWidths), step.ints([1])]);
  const used = (src: string) => step.op('Slice', [gather(src), step.ints([0]), width, step.ints([1])]);
  const loss = minibatchLoss(step, model, s, w, used(IO.batchIndices), used(IO.batchWeights));
  const total = step.op('ReduceSum', [loss], { keepdims: attr.int(0) });
  const outer: ValueInfo[] = [
    ...data,
    { name: IO.w0, elemType: DataType.FLOAT, shape: flat },
    ...HYPERPARAMETERS.map((h) => ({ name: h, elemType: DataType.FLOAT, shape: perChain })),
  ];
  const forward = optimizeForward(step.build(), opset, outer);
  const { graph: differentiated, gradients } = addGradients(forward, total, [w], { opset, prefix: 'grad/', outerScope: outer });
  const withGrad = lowerForOnnxruntime(differentiated, opset, outer);
  const grad = gradients[w]!;

  const u = new GraphBuilder('sgld_update', 'update/');
  const away = u.op('Sub', [w, IO.w0]);
  const pull = u.op('Mul', [IO.localization, away]);
  let dw = u.op('Mul', [IO.nbeta, grad]);
  dw = u.op('Add', [dw, u.op('Mul', [IO.weightDecay, w])]);
  dw = u.op('Add', [dw, pull]);
  const drift = masked ? u.op('Mul', [IO.mask, dw]) : dw;
  let noise = u.op('Mul', [noiseScale, u.op('Gather', [IO.noise, iter], { axis: attr.int(0) })]);
  const states: LoopState[] = [{ initial: IO.params, next: '', final: IO.paramsOut, elemType: DataType.FLOAT, shape: flat }];
  if (v) {
    const nextV = u.op('Add', [u.op('Mul', [v, u.scalar(RMSPROP.alpha)]), u.op('Mul', [u.op('Mul', [grad, grad]), u.scalar(1 - RMSPROP.alpha)])]);
    const G = u.op('Reciprocal', [u.op('Add', [u.op('Sqrt', [nextV]), u.scalar(RMSPROP.eps)])]);
    dw = u.op('Mul', [G, dw]);
    noise = u.op('Mul', [u.op('Sqrt', [G]), noise]);
    states.push({ initial: IO.squareAvg, next: nextV, final: IO.squareAvgOut, elemType: DataType.FLOAT, shape: flat });
  }
  if (masked) {
    dw = v ? u.op('Mul', [IO.mask, dw]) : drift;
    noise = u.op('Mul', [IO.mask, noise]);
  }
  states[0]!.next = u.op('Add', [u.op('Sub', [w, u.op('Mul', [halfLr, dw])]), noise]);

  // Diagnostics per chain: Σ over the flat axis, kept [C,1] or squeezed to [C].
  const sumSq = (x: string) => u.op('ReduceSum', [u.op('Mul', [x, x]), u.ints([1])], { keepdims: attr.int(1) });
  const norm = (x: string) => u.op('Squeeze', [u.op('Sqrt', [sumSq(x)]), u.ints([1])]);
  const diagnostics: Record<Diagnostic, string> = {
    grad_norm: norm(grad),
    noise_norm: norm(noise),
    pull_norm: norm(pull),
    distance: norm(away),
    mala_acceptance: '',
  };
  if (mala) {
    const half = (h: string) => u.op('Mul', [h, u.scalar(0.5)]);
    const energy = u.op('Add', [u.op('Add', [u.op('Mul', [IO.nbeta, u.op('Unsqueeze', [loss, u.ints([1])])]), u.op('Mul', [half(IO.localization), sumSq(away)])]), u.op('Mul', [half(IO.weightDecay), sumSq(w)])]);
    const twoLr = u.op('Mul', [IO.lr, u.scalar(2)]);
    const back = u.op('Div', [sumSq(u.op('Add', [u.op('Sub', [mala.point, w]), u.op('Mul', [halfLr, drift])])), twoLr]);
    const forth = u.op('Div', [sumSq(u.op('Add', [u.op('Sub', [w, mala.point]), u.op('Mul', [halfLr, mala.drift])])), twoLr]);
    const logAccept = u.op('Add', [u.op('Sub', [u.op('Sub', [mala.energy, energy]), back]), forth]);
    diagnostics.mala_acceptance = u.op('Squeeze', [u.op('Min', [u.op('Exp', [logAccept]), u.scalar(1)]), u.ints([1])]);
    states.push(
      { initial: IO.malaPoint, next: u.op('Identity', [w]), final: IO.malaPointOut, elemType: DataType.FLOAT, shape: flat },
      { initial: IO.malaDrift, next: u.op('Identity', [drift]), final: IO.malaDriftOut, elemType: DataType.FLOAT, shape: flat },
      { initial: IO.malaEnergy, next: energy, final: IO.malaEnergyOut, elemType: DataType.FLOAT, shape: perChain },
    );
  }
  const scans = [
    { value: loss, stacked: IO.loss, elemType: DataType.FLOAT, shape: [C] },
    ...DIAGNOSTICS.filter((d) => diagnostics[d]).map((d) => ({ value: diagnostics[d], stacked: d, elemType: DataType.FLOAT, shape: [C] })),
  ];

  const body: Graph = { ...withGrad, nodes: [...withGrad.nodes, ...u.nodes] };
  stepLoop(g, IO.batchIndices, body, condIn, states, scans);
  return modelOfGraph(g.build(), model);
}

function checkShape(model: SgldModel, s: GraphShape): void {
  if (!Number.isInteger(s.chains) || s.chains < 1) throw new Error(`sgld graph: chains must be a positive integer, got ${s.chains}`);
  if (!model.chainAxis && s.chains !== 1) throw new Error(`sgld graph: this model has no chain axis, so a graph holds one chain, not ${s.chains}`);
  if (!Number.isInteger(s.batch) || s.batch < 1) throw new Error(`sgld graph: batch must be a positive integer, got ${s.batch}`);
}
