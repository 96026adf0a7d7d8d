// Which initializers of a user's model are the weights SGLD samples. A PyTorch export stores
// buffers as initializers too (exponents, masks, positional tables, BatchNorm statistics);
// devinterp samples model.parameters() only. By default a float initializer is a weight when
// the output depends on it differentiably: some path from it to the output passes only float
// values and, at every node, an input position that carries a gradient. Positions that hold
// constants (a Pow exponent, shapes, indices, axes, a Where condition, BatchNormalization's
// running statistics, …) do not; an initializer holding NaN or ±∞ (an additive −∞ attention
// mask) is a constant too. `params` globs choose the weights instead, `freeze` globs remove
// some; what is left out is listed with the reason.
import { globRegex } from '../util/glob.ts';
import { inferFacts } from '../onnx/infer/facts.ts';
import { NON_DIFFERENTIABLE } from '../autodiff/rules/index.ts';
import { DataType, type Graph } from '../onnx/ir.ts';

/** Input positions that hold constants by the op's meaning: the gradient never flows there. */
const CONSTANT_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Pow: [1],
  Reshape: [1],
  Expand: [1],
  Tile: [1],
  Slice: [1, 2, 3, 4],
  Gather: [1],
  GatherElements: [1],
  GatherND: [1],
  ScatterElements: [1],
  ScatterND: [1],
  Where: [0],
  Squeeze: [1],
  Unsqueeze: [1],
  ReduceSum: [1],
  ReduceMean: [1],
  ReduceMax: [1],
  ReduceMin: [1],
  ReduceProd: [1],
  ReduceL2: [1],
  ReduceLogSumExp: [1],
  Split: [1],
  // Pad's constant_value and Clip's bounds are settings of the op (torch's pad value,
  // clamp bounds), not parameters.
  Pad: [1, 2, 3],
  Clip: [1, 2],
  Mod: [1],
  Resize: [1, 2, 3],
  Dropout: [1, 2],
  BatchNormalization: [3, 4],
  CumSum: [1],
  TopK: [1],
  Trilu: [1],
  OneHot: [1, 2],
};

export interface LeftOut {
  name: string;
  shape: number[];
  why: string;
}

export interface WeightSelection {
  /** Sampled initializers, in the model's order. */
  weights: { name: string; shape: number[] }[];
  /** Initializers kept constant, with the reason. */
  constants: LeftOut[];
}

export interface SelectionOptions {
  /** Only initializers matching one of these globs are weights (`*` any run of characters, `?` one). */
  params?: readonly string[];
  /** Initializers matching one of these globs are never weights. */
  freeze?: readonly string[];
}

/** The float initializers on a differentiable path to `output`, with a reason for every other initializer. */
export function selectWeights(graph: Graph, opset: number, output: string, options: SelectionOptions = {}): WeightSelection {
  const facts = inferFacts(graph, opset);
  const isFloat = (v: string) => {
    const t = facts.get(v)?.dtype;
    return t === undefined || t === DataType.FLOAT || t === DataType.DOUBLE;
  };
  // Walk back from the output over differentiable input positions.
  const carries = new Set([output]);
  for (const node of [...graph.nodes].reverse()) {
    if (NON_DIFFERENTIABLE.has(node.opType) || !node.outputs.some((o) => carries.has(o) && isFloat(o))) continue;
    const constant = CONSTANT_INPUTS[node.opType] ?? [];
    node.inputs.forEach((input, i) => {
      if (input !== '' && !constant.includes(i) && isFloat(input)) carries.add(input);
    });
  }
  const readBy = new Map<string, string[]>();
  for (const node of graph.nodes) node.inputs.forEach((input, i) => input && readBy.set(input, [...(readBy.get(input) ?? []), `${node.opType} input ${i}`]));

  const params = options.params?.map((g) => [g, globRegex(g)] as const);
  const freeze = options.freeze?.map((g) => [g, globRegex(g)] as const);
  for (const [glob, re] of [...(params ?? []), ...(freeze ?? [])]) {
    if (!graph.initializers.some((i) => re.test(i.name))) throw new Error(`no initializer matches "${glob}" (initializers: ${graph.initializers.map((i) => i.name).join(', ')})`);
  }
  const selection: WeightSelection = { weights: [], constants: [] };
  for (const init of graph.initializers) {
    const shape = [...init.dims];
    const leave = (why: string) => selection.constants.push({ name: init.name, shape, why });
    const frozenBy = freeze?.find(([, re]) => re.test(init.name));
    if (init.dataType !== DataType.FLOAT) leave(`not float32 (${DataType[init.dataType] ?? init.dataType})`);
    else if (frozenBy) leave(`matches --freeze ${frozenBy[0]}`);
    else if (params && !params.some(([, re]) => re.test(init.name))) leave('matches no --params glob');
    else if (Array.from(init.data as Float32Array).some((x) => !Number.isFinite(x))) leave('holds NaN or ±∞ (a constant such as an attention mask)');
    else if (!params && !carries.has(init.name)) {
      const uses = readBy.get(init.name);
      leave(uses ? `the output does not depend on it differentiably (read as ${[...new Set(uses)].join(', ')})` : 'no node reads it');
    } else selection.weights.push({ name: init.name, shape });
  }
  if (!graph.initializers.some((i) => i.dataType === DataType.FLOAT)) throw new Error('the model has no float initializers, so there are no weights to sample');
  if (selection.weights.length === 0) throw new Error(`no initializer is left to sample (${selection.constants.map((c) => `${c.name}: ${c.why}`).join('; ')})`);
  return selection;
}
