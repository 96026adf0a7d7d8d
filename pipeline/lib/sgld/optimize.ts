// Rewrites that make our graphs fast in onnxruntime. Each keeps the values the rest of the
// graph reads; measured with bench/sgld.ts and onnxruntime's profiler. Some apply to the
// forward pass before it is differentiated, so the gradient graph inherits them; the
// lowering of LayerNormalization comes after, so its gradient rule (which reuses the
// forward statistics) runs on the node and both directions end up as primitive ops.
import { attrFloat, attrInt } from '../onnx/attrs.ts';
import { Emitter } from '../autodiff/emit.ts';
import { standardize } from '../autodiff/normalize.ts';
import { inferFacts } from '../onnx/infer/facts.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import { DataType, type Dim, type Graph, type Node, type ValueInfo } from '../onnx/ir.ts';

type Pass = (graph: Graph, opset: number, outer: ValueInfo[]) => Graph;

const run = (passes: Pass[], graph: Graph, opset: number, outer: ValueInfo[]) => passes.reduce((g, pass) => pass(g, opset, outer), graph);

/** Before autodiff: rewrites the gradient should inherit. */
export function optimizeForward(graph: Graph, opset: number, outer: ValueInfo[] = []): Graph {
  return run([dropEvalDropouts, foldBroadcastMatMuls, dropUnreadConstants], graph, opset, outer);
}

/** Last, on the whole graph (forward and gradient): ops written the way onnxruntime runs fastest. */
export function lowerForOnnxruntime(graph: Graph, opset: number, outer: ValueInfo[] = []): Graph {
  return run([decomposeLayerNorms, dropUnreadConstants], graph, opset, outer);
}

/** Replaces each node for which `rewrite` writes new nodes into the builder (and returns
 * true) by those nodes; the builder's fresh names avoid every name of the graph. */
export function replaceNodes(graph: Graph, prefix: string, rewrite: (node: Node, b: GraphBuilder) => boolean): Graph {
  const b = new GraphBuilder(graph.name, prefix);
  const names = new Set(graph.nodes.flatMap((n) => [n.name, ...n.inputs, ...n.outputs]));
  for (const v of [...graph.inputs, ...graph.outputs, ...graph.initializers]) names.add(v.name);
  names.delete('');
  names.forEach((n) => b.reserve(n));
  const nodes = graph.nodes.flatMap((node) => {
    const before = b.nodes.length;
    return (node.domain ?? '') === '' && rewrite(node, b) ? b.nodes.slice(before) : [node];
  });
  return { ...graph, nodes };
}

/** The contents of the graph's Constant nodes (tensor form), by value name. */
export function constantValues(graph: Graph): Map<string, number[]> {
  const values = new Map<string, number[]>();
  for (const n of graph.nodes) {
    const v = n.attributes.value;
    if (n.opType === 'Constant' && v?.kind === 'tensor') values.set(n.outputs[0]!, Array.from(v.value.data as ArrayLike<number | bigint>, Number));
  }
  return values;
}

/**
 * Removes eval-mode Dropout (training_mode absent or a constant false, mask unread): it
 * only copies its input, a full activation-sized copy in the forward pass and again in
 * the gradient.
 */
export function dropEvalDropouts(graph: Graph): Graph {
  const used = new Set([...graph.nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.name)]);
  const constants = constantValues(graph);
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const alias = new Map<string, string>();
  const kept = graph.nodes.filter((n) => {
    const mode = n.inputs[2];
    const evalMode = mode === undefined || mode === '' || constants.get(mode)?.[0] === 0;
    const removable = n.opType === 'Dropout' && (n.domain ?? '') === '' && evalMode && !used.has(n.outputs[1] ?? '') && !graphOutputs.has(n.outputs[0]!);
    if (removable) alias.set(n.outputs[0]!, alias.get(n.inputs[0]!) ?? n.inputs[0]!);
    return !removable;
  });
  return { ...graph, nodes: kept.map((n) => ({ ...n, inputs: n.inputs.map((v) => alias.get(v) ?? v) })) };
}

/** Drops Constant nodes the rewrites left unread (onnxruntime warns about each). */
export function dropUnreadConstants(graph: Graph): Graph {
  const read = new Set([...graph.nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.name)]);
  return { ...graph, nodes: graph.nodes.filter((n) => n.opType !== 'Constant' || read.has(n.outputs[0]!)) };
}

/**
 * Writes float LayerNormalization as primitive ops: onnxruntime 1.29's fused CPU kernel is
 * several times slower than mean, centre, variance, normalise, scale, shift (FACTS.md).
 * A scale that is a constant of ones (the chained seed model's) is skipped. The Mean and
 * InvStdDev outputs, where read (the gradient reads them), are the decomposition's own.
 */
export function decomposeLayerNorms(graph: Graph, opset: number, outer: ValueInfo[] = []): Graph {
  const facts = inferFacts(graph, opset, outer);
  const constants = constantValues(graph);
  return replaceNodes(graph, 'ln/', (node, b) => {
    const [x, scale, bias] = [node.inputs[0]!, node.inputs[1]!, node.inputs[2] ?? ''];
    const axis = attrInt(node, 'axis', -1);
    const [, meanOut = '', invOut = ''] = node.outputs;
    const floatStats = attrInt(node, 'stash_type', DataType.FLOAT) === DataType.FLOAT;
    if (node.opType !== 'LayerNormalization' || axis >= 0 || facts.get(x)?.dtype !== DataType.FLOAT || !floatStats) return false;
    const axes = Array.from({ length: -axis }, (_, i) => axis + i);
    const e = new Emitter(b, opset, facts);
    const { xhat, mean, inv } = standardize(e, x, axes, e.scalar(attrFloat(node, 'epsilon', 1e-5), x));
    // Identity names the node's outputs; onnxruntime's graph optimizer removes each copy.
    const name = (v: string, output: string) => output && b.op('Identity', [v], {}, { outputs: [output] });
    name(mean!, meanOut);
    name(inv, invOut);
    let y = xhat;
    if (!constants.get(scale)?.every((v) => v === 1)) y = e.op('Mul', [y, scale]);
    if (bias !== '') y = e.op('Add', [y, bias]);
    name(y, node.outputs[0]!);
    return true;
  });
}

/**
 * A chained linear layer multiplies activations [C,B,T,in] by a weight [C,1,in,out] that
 * broadcasts over the batch axis. onnxruntime runs that as C·B tiny GEMMs, and the gradient
 * of the broadcast weight becomes C·B products summed afterwards — over half the step time
 * in a profile. Folding the broadcast axes into the rows, [C,B·T,in] @ [C,in,out], makes it
 * C large GEMMs and the weight's gradient one GEMM per chain.
 */
export function foldBroadcastMatMuls(graph: Graph, opset: number, outer: ValueInfo[] = []): Graph {
  const facts = inferFacts(graph, opset, outer);
  return replaceNodes(graph, 'fold/', (node, b) => {
    const [a, w] = node.inputs as [string, string];
    const sa = facts.get(a)?.shape;
    const sw = facts.get(w)?.shape;
    const plan = node.opType === 'MatMul' && sa && sw ? foldPlan(sa, sw) : undefined;
    if (!plan) return false;
    const { keep, folded, K, N } = plan;
    const zeros = Array<number>(keep).fill(0);
    const rows = b.op('Reshape', [a, b.ints([...zeros, -1, K])]);
    const weight = b.op('Squeeze', [w, b.ints(Array.from({ length: folded.length - 1 }, (_, i) => keep + i))]);
    b.op('Reshape', [b.op('MatMul', [rows, weight]), b.ints([...zeros, ...folded, N])], {}, { outputs: [node.outputs[0]!] });
    return true;
  });
}

/**
 * For a @ b with a [...keep, B…, M, K] and b [...keep, 1…, K, N]: how many leading axes
 * stay, the sizes folded into the rows (B…, M) and K, N — as Reshape operands: at most one
 * of the folded sizes and N may be unknown (-1). Undefined where the pattern does not hold.
 */
export function foldPlan(sa: readonly Dim[], sb: readonly Dim[]): { keep: number; folded: number[]; K: number; N: number } | undefined {
  const r = sa.length;
  if (r < 3 || sb.length !== r) return undefined;
  let keep = r - 2;
  while (keep > 0 && sb[keep - 1] === 1 && sa[keep - 1] !== 1) keep--;
  const K = sa[r - 1];
  const sizes = [...sa.slice(keep, r - 1), sb[r - 1]!].map((d) => (typeof d === 'number' ? d : -1));
  if (keep === r - 2 || typeof K !== 'number' || sizes.filter((d) => d === -1).length > 1) return undefined;
  return { keep, folded: sizes.slice(0, -1), K, N: sizes[sizes.length - 1]! };
}
