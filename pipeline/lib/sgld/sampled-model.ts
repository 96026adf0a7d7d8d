// What the SGLD graph samples: a forward pass whose weights come from one flat parameter
// vector. Two kinds: the seed transformer, whose builder gives every weight a leading chain
// axis (many chains per graph), and any ONNX model a user brings, inlined as it is with its
// weights as parameters and its buffers as constants (weights.ts) — it has no chain axis,
// so it runs one chain per graph.
import { DataType, elementCount, type Model, type Node } from '../onnx/ir.ts';
import type { GraphBuilder } from '../onnx/builder.ts';
import { selectWeights, type SelectionOptions, type WeightSelection } from './weight-selection.ts';
import { seedForward, type WeightSource } from '../model/seed-model.ts';
import { seedParameters, type ParamSpec, type SeedModelConfig } from '../model/config.ts';

export interface SgldModel {
  /** The sampled parameters in flat-vector order, with their shapes (no chain axis). */
  readonly params: readonly ParamSpec[];
  /** Whether one graph can hold many chains; false: one chain per graph. */
  readonly chainAxis: boolean;
  /** Element type of the model's input rows. */
  readonly inputType: DataType;
  /** The default-domain opset the forward pass is written in. */
  readonly opset: number;
  /** Writes the forward pass into `g`: `x` holds inputs [C, B, ...row], `weight` gives each
   * parameter ([C, ...shape] with a chain axis, else its own shape); returns the prediction
   * [C, B, ...]. */
  forward(g: GraphBuilder, x: string, weight: WeightSource, chains: number): string;
  /** The seed transformer's config, from which a queue worker rebuilds the same model. */
  readonly seedConfig?: SeedModelConfig;
}

/** The seed transformer in eval mode (no dropout), chains batched. */
export function seedSgldModel(cfg: SeedModelConfig): SgldModel {
  return {
    params: seedParameters(cfg),
    chainAxis: true,
    inputType: DataType.INT64,
    opset: 17,
    forward: (g, x, weight, chains) => seedForward(g, cfg, x, { training: false, chains, weight }),
    seedConfig: cfg,
  };
}

/** The parameters' values in flat order, read from a model's initializers by name. */
export function flatParameters(model: Model, params: readonly ParamSpec[], source: string): Float32Array {
  const inits = new Map(model.graph.initializers.map((i) => [i.name, i]));
  const flat = new Float32Array(params.reduce((n, p) => n + elementCount(p.shape), 0));
  let at = 0;
  for (const p of params) {
    const init = inits.get(p.name);
    if (!init) throw new Error(`${source}: no initializer "${p.name}"`);
    if (init.dataType !== DataType.FLOAT) throw new Error(`${source}: initializer "${p.name}" is ${DataType[init.dataType]}, expected FLOAT`);
    if (init.dims.join() !== p.shape.join()) throw new Error(`${source}: initializer "${p.name}" has shape [${init.dims}], expected [${p.shape}]`);
    flat.set(init.data as Float32Array, at);
    at += init.data.length;
  }
  return flat;
}

export interface ImportedModel {
  model: SgldModel;
  /** The model's own weights: the starting point w₀ of every chain. */
  w0: Float32Array;
  input: string;
  output: string;
  /** What is sampled and what is kept constant, and why (weights.ts). */
  selection: WeightSelection;
}

export interface ImportOptions extends SelectionOptions {
  input?: string;
  output?: string;
}

/** An ONNX model whose weights (weights.ts) are its parameters, with `input` fed by the data
 * and `output` its prediction (defaults: the model's only input / output). */
export function importOnnxModel(onnx: Model, source: string, options: ImportOptions = {}): ImportedModel {
  const { input, output } = options;
  const graph = onnx.graph;
  const inits = new Set(graph.initializers.map((i) => i.name));
  const feeds = graph.inputs.filter((i) => !inits.has(i.name));
  if (feeds.length > 1) throw new Error(`${source}: the model has inputs ${feeds.map((i) => i.name).join(', ')}; only models with one data input can be sampled`);
  const inputName = pickOne('input', input, feeds.map((i) => i.name), source);
  const outputName = pickOne('output', output, graph.outputs.map((o) => o.name), source);
  const withGraphs = graph.nodes.find((n) => Object.values(n.attributes).some((a) => a.kind === 'graph'));
  if (withGraphs) throw new Error(`${source}: node "${withGraphs.name}" (${withGraphs.opType}) holds a subgraph; models with control flow cannot be sampled`);
  const opset = onnx.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version;
  if (opset === undefined || opset < 13) throw new Error(`${source}: the model uses default-domain opset ${opset ?? '(none)'}; sampling needs opset 13 or later`);
  let selection: WeightSelection;
  try {
    selection = selectWeights(graph, opset, outputName, options);
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
  const params: ParamSpec[] = selection.weights;
  const sampled = new Set(params.map((p) => p.name));
  const elemType = graph.inputs.find((i) => i.name === inputName)!.elemType;

  const model: SgldModel = {
    params,
    chainAxis: false,
    inputType: elemType,
    opset,
    forward(g, x, weight, chains) {
      if (chains !== 1) throw new Error(`${source}: an imported model runs one chain per graph, not ${chains}`);
      const names = new Map<string, string>([[inputName, g.op('Squeeze', [x, g.ints([0])])]]);
      for (const init of graph.initializers) {
        names.set(init.name, sampled.has(init.name) ? weight(init.name, [...init.dims]) : g.constant({ dataType: init.dataType, dims: init.dims, data: init.data }, 'model_const'));
      }
      for (const node of graph.nodes) inlineNode(g, node, names, source);
      const pred = names.get(outputName);
      if (!pred) throw new Error(`${source}: no node computes the output "${outputName}"`);
      return g.op('Unsqueeze', [pred, g.ints([0])]);
    },
  };
  return { model, w0: flatParameters(onnx, params, source), input: inputName, output: outputName, selection };
}

/** Copies a node into `g` under fresh names (our own values cannot clash with the model's). */
function inlineNode(g: GraphBuilder, node: Node, names: Map<string, string>, source: string): void {
  const inputs = node.inputs.map((name) => {
    if (name === '') return '';
    const mapped = names.get(name);
    if (mapped === undefined) throw new Error(`${source}: node "${node.name}" (${node.opType}) reads "${name}", which no input, initializer or earlier node provides`);
    return mapped;
  });
  const outputs = node.outputs.map((name) => (name === '' ? '' : g.fresh(`m_${name}`)));
  node.outputs.forEach((name, i) => name !== '' && names.set(name, outputs[i]!));
  // Pushed directly so the copy keeps (a prefixed form of) the model's node name, which
  // errors from the autodiff quote.
  g.nodes.push({ ...node, name: g.fresh(`m_${node.name || node.opType}`), inputs, outputs });
}

function pickOne(what: string, wanted: string | undefined, names: string[], source: string): string {
  if (wanted !== undefined) {
    if (!names.includes(wanted)) throw new Error(`${source}: the model has no ${what} "${wanted}" (its ${what}s: ${names.join(', ') || 'none'})`);
    return wanted;
  }
  if (names.length !== 1) throw new Error(`${source}: the model has ${names.length} ${what}s (${names.join(', ')}); name one with --${what}`);
  return names[0]!;
}
