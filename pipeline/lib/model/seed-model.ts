// The seed transformer (SPEC.md §2) as one ONNX graph: PyTorch's nn.TransformerEncoderLayer
// defaults written out in standard opset-17 ops. The same builder makes the training graph
// (dropout on), the exported eval graph (dropout off) and the chained graph the SGLD sampler
// uses, where a leading chain axis gives each of C chains its own weights.
//
// Ops are chosen for simple gradients (the sampler differentiates this graph with our own
// ONNX autodiff): MatMul, Add, Mul, Transpose, Reshape, Split, Gather/OneHot, Softmax,
// LayerNormalization, Relu, Sigmoid, Squeeze/Unsqueeze, Dropout.
import { DataType, type AttrValue, type Model } from '../onnx/ir.ts';
import { GraphBuilder, attr, modelOf, tensor } from '../onnx/builder.ts';
import { checkModelConfig, seedParameters, type SeedModelConfig } from './config.ts';

/** Makes (or names) the value holding parameter `name`, of shape `shape` ([C, ...shape] with
 * chains), in the graph being built, and returns its value name. */
export type WeightSource = (name: string, shape: number[]) => string;

export interface SeedForwardOptions {
  /** Dropout on (training graph) or off (eval / exported graph). */
  training: boolean;
  /** Number of chains C: weights [C, ...], tokens [C, B, T], prediction [C, B, T]. */
  chains?: number;
  weight: WeightSource;
  /** Name of the prediction value (default: a fresh name). */
  output?: string;
}

/** Masked attention scores are set to this before the softmax. Finite so that no ∞ enters
 * the arithmetic of derived (gradient) graphs; exp underflows to exactly 0 as with -∞. */
const MASKED = -1e9;

/**
 * Writes the forward pass into `g`, reading int64 `tokens` ([B,T], or [C,B,T] with chains),
 * and returns the name of the float32 prediction ([B,T] or [C,B,T]).
 */
export function seedForward(g: GraphBuilder, cfg: SeedModelConfig, tokens: string, opts: SeedForwardOptions): string {
  checkModelConfig(cfg);
  const chained = opts.chains !== undefined;
  if (chained && !(Number.isInteger(opts.chains) && opts.chains! >= 1)) throw new Error(`seed model: chains must be a positive integer, got ${opts.chains}`);
  const { seqLen: T, dModel: D, heads: H, vocab: V } = cfg;
  const dh = D / H;
  // Leading axes that activations carry before [B, T, ...]: the chain axis, or none.
  const lead = chained ? 1 : 0;
  const zeros = (n: number) => new Array<number>(n).fill(0);

  // Every weight is requested once, in state_dict order (so initializers / inputs keep it).
  const weights = new Map(seedParameters(cfg).map((p) => [p.name, opts.weight(p.name, p.shape)]));
  const w = (name: string): string => weights.get(name)!;

  const ratio = g.scalar(cfg.dropout, 'dropout_ratio');
  const trainingMode = g.constant(tensor.bool([], [opts.training]), 'training_mode');
  const dropout = (x: string) => g.op('Dropout', [x, ratio, trainingMode]);

  // Per chain, weights gain a batch axis (and vectors a time axis too) to broadcast over.
  const batchAxis = chained ? g.ints([1], 'batch_axis') : '';
  const batchTimeAxes = chained ? g.ints([1, 2], 'batch_time_axes') : '';
  // W [out,in] (per chain [C,out,in]) as the right operand of x @ Wᵀ: [in,out] or [C,1,in,out],
  // which MatMul broadcasts over the batch axis so each chain uses its own matrix.
  const rhs = (W: string) =>
    chained ? g.op('Unsqueeze', [g.op('Transpose', [W], { perm: attr.ints([0, 2, 1]) }), batchAxis]) : g.op('Transpose', [W], { perm: attr.ints([1, 0]) });
  // A per-feature vector [n] (per chain [C,n]) shaped to broadcast against [.., B, T, n].
  const vec = (b: string) => (chained ? g.op('Unsqueeze', [b, batchTimeAxes]) : b);
  const linear = (x: string, W: string, b: string) => g.op('Add', [g.op('MatMul', [x, rhs(W)]), vec(b)]);

  // LayerNormalization's scale must match the normalised shape, so a per-chain scale and bias
  // are applied after a unit-scale normalisation.
  const unitScale = chained ? g.constant(tensor.float32([D], new Array<number>(D).fill(1)), 'ln_unit_scale') : '';
  const lnAttrs = { axis: attr.int(-1), epsilon: attr.float(cfg.layerNormEps) };
  const layerNorm = (x: string, prefix: string) => {
    if (!chained) return g.op('LayerNormalization', [x, w(`${prefix}.weight`), w(`${prefix}.bias`)], lnAttrs);
    const normed = g.op('LayerNormalization', [x, unitScale], lnAttrs);
    return g.op('Add', [g.op('Mul', [normed, vec(w(`${prefix}.weight`))]), vec(w(`${prefix}.bias`))]);
  };

  // Embeddings. Per chain a Gather cannot pick the chain's own table, so it becomes a one-hot
  // product [C,B,T,V] @ [C,1,V,D].
  let h: string;
  if (chained) {
    const oneHot = g.op('OneHot', [tokens, g.constant(tensor.int64([], [V]), 'vocab'), g.constant(tensor.float32([2], [0, 1]), 'onehot_values')], { axis: attr.int(-1) });
    h = g.op('MatMul', [oneHot, g.op('Unsqueeze', [w('embedding.weight'), batchAxis])]);
    h = g.op('Add', [h, g.op('Unsqueeze', [w('pos_embedding.weight'), batchAxis])]);
  } else {
    h = g.op('Gather', [w('embedding.weight'), tokens], { axis: attr.int(0) });
    h = g.op('Add', [h, w('pos_embedding.weight')]);
  }

  // Causal mask: position i attends to 0..i.
  const mask = Array.from({ length: T * T }, (_, k) => (k % T <= Math.floor(k / T) ? 0 : MASKED));
  const causal = g.constant(tensor.float32([T, T], mask), 'causal_mask');
  const scale = g.scalar(1 / Math.sqrt(dh), 'attn_scale');
  const split3 = g.ints([D, D, D], 'qkv_split');
  // [.., B, T, D] → [.., B, T, H, dh] → heads first: [.., B, H, T, dh]; k goes to [.., B, H, dh, T].
  const toHeads = g.ints([...zeros(lead + 2), H, dh], 'heads_shape');
  const fromHeads = g.ints([...zeros(lead + 2), D], 'model_shape');
  const swapTH = attr.ints(chained ? [0, 1, 3, 2, 4] : [0, 2, 1, 3]);
  const kPerm = attr.ints(chained ? [0, 1, 3, 4, 2] : [0, 2, 3, 1]);
  const heads = (x: string, perm: AttrValue) => g.op('Transpose', [g.op('Reshape', [x, toHeads])], { perm });

  for (let l = 0; l < cfg.layers; l++) {
    const p = `layers.${l}.`;
    // q/k/v from slices of the packed in-projection (cheaper than splitting the activations).
    const axis = { axis: attr.int(lead) };
    const [Wq, Wk, Wv] = g.node('Split', [w(`${p}self_attn.in_proj_weight`), split3], axis, { outputs: 3 }) as [string, string, string];
    const [bq, bk, bv] = g.node('Split', [w(`${p}self_attn.in_proj_bias`), split3], axis, { outputs: 3 }) as [string, string, string];
    const q = heads(linear(h, Wq, bq), swapTH);
    const kT = heads(linear(h, Wk, bk), kPerm);
    const v = heads(linear(h, Wv, bv), swapTH);
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, kT]), scale]), causal]);
    const attn = dropout(g.op('Softmax', [scores], { axis: attr.int(-1) }));
    const context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [attn, v])], { perm: swapTH }), fromHeads]);
    const selfAttn = linear(context, w(`${p}self_attn.out_proj.weight`), w(`${p}self_attn.out_proj.bias`));
    h = layerNorm(g.op('Add', [h, dropout(selfAttn)]), `${p}norm1`);

    const hidden = dropout(g.op('Relu', [linear(h, w(`${p}linear1.weight`), w(`${p}linear1.bias`))]));
    const ff = linear(hidden, w(`${p}linear2.weight`), w(`${p}linear2.bias`));
    h = layerNorm(g.op('Add', [h, dropout(ff)]), `${p}norm2`);
  }

  const logit = g.op('Squeeze', [linear(h, w('fc.weight'), w('fc.bias')), g.ints([-1])]);
  return g.op('Sigmoid', [logit], {}, { outputs: [opts.output ? g.reserve(opts.output) : g.fresh('pred')] });
}

export interface SeedModelOptions {
  training: boolean;
  chains?: number;
  /** Where weights come from. Default: initializers without chains (values from `weights`,
   * zeros where absent); graph inputs named after the parameters with chains. */
  weight?: WeightSource;
  /** Initializer values by parameter name (unchained graphs without `weight` only). */
  weights?: Record<string, Float32Array>;
}

/** The seed model as a complete ONNX model: input `tokens`, output `pred`. */
export function buildSeedModel(cfg: SeedModelConfig, opts: SeedModelOptions): Model {
  const chains = opts.chains;
  if (opts.weights && (chains !== undefined || opts.weight)) throw new Error('seed model: weight values apply only to an unchained graph without a weight callback');
  const g = new GraphBuilder(opts.training ? 'seed_train' : 'seed_eval');
  const lead = chains === undefined ? [] : [chains];
  const tokens = g.input('tokens', DataType.INT64, [...lead, 'batch', cfg.seqLen]);
  const weight = opts.weight ?? (chains === undefined ? initializerWeights(g, opts.weights ?? {}) : inputWeights(g, chains));
  const pred = seedForward(g, cfg, tokens, { training: opts.training, chains, weight, output: 'pred' });
  g.output(pred, DataType.FLOAT, [...lead, 'batch', cfg.seqLen]);
  const graph = g.build();
  const unknown = Object.keys(opts.weights ?? {}).filter((name) => !graph.initializers.some((i) => i.name === name));
  if (unknown.length) throw new Error(`seed model: no parameters named ${unknown.join(', ')}`);
  return modelOf(graph);
}

function initializerWeights(g: GraphBuilder, values: Record<string, Float32Array>): WeightSource {
  return (name, shape) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const data = values[name] ?? new Float32Array(count);
    if (data.length !== count) throw new Error(`seed model: weight "${name}" has ${data.length} values, expected shape [${shape}]`);
    return g.initializer(name, tensor.float32(shape, data));
  };
}

function inputWeights(g: GraphBuilder, chains: number): WeightSource {
  return (name, shape) => g.input(name, DataType.FLOAT, [chains, ...shape]);
}
