// Static facts about a graph's values — element type, shape with symbolic dims, and the
// contents of small integer tensors (shape arithmetic) — found in one walk over the nodes,
// each node described by its op's unit in ops/. Gradient rules use them to pick ranks and
// axes when the graph is built, and to skip the reduction for broadcasting that cannot have
// happened. A dim nobody can name statically gets a symbol made from the name of the value
// it belongs to, so two uses of the same unknown size (say, three Reshapes to one computed
// shape) still compare equal; where the dim is a function of other dims, the symbol is made
// from those instead (a product of dims, a Slice's size from its dim and bounds), so that
// equal sizes reached along different paths compare equal too.
import type { DataType, Graph, Node, ValueInfo } from '../ir.ts';
import { axesAreInput, attrInts, optionalInput } from '../attrs.ts';
import { Products } from './dims.ts';
import { INFER_RULES } from './ops/index.ts';
import type { Facts, InferContext } from './rule.ts';
import { INTEGER_TYPES, MAX_VALUE_ELEMENTS, tensorFacts } from './values.ts';

export type { Facts } from './rule.ts';

/** Facts about every value of `graph`, in `opset`; `outer` describes values a subgraph
 * (a Loop body) reads from its enclosing scope. */
export function inferFacts(graph: Graph, opset: number, outer: ValueInfo[] = []): Map<string, Facts> {
  const facts = new Map<string, Facts>();
  const declare = (v: ValueInfo): void => {
    facts.set(v.name, v.shape ? { dtype: v.elemType, shape: v.shape } : { dtype: v.elemType });
  };
  outer.forEach(declare);
  graph.inputs.forEach(declare);
  for (const init of graph.initializers) facts.set(init.name, tensorFacts(init));
  const declared = new Map((graph.valueInfo ?? []).map((v) => [v.name, v]));
  const get = (name: string): Facts => facts.get(name) ?? {};
  const products = new Products();
  for (const node of graph.nodes) {
    const inferred = inferNode(node, get, opset, products);
    node.outputs.forEach((name, i) => {
      if (name === '') return;
      const f = inferred[i] ?? {};
      const info = declared.get(name);
      // A declared shape comes from a real shape-inference pass: its dims beat our symbols.
      if (info?.shape) f.shape = info.shape;
      f.dtype ??= info?.elemType;
      facts.set(name, f);
    });
  }
  return facts;
}

function inferNode(node: Node, get: (name: string) => Facts, opset: number, products: Products): Facts[] {
  const x = (i: number): Facts => {
    const name = optionalInput(node, i);
    return name === undefined ? {} : get(name);
  };
  const sym = (axis: number, out = 0): string => `?${node.outputs[out]}:${axis}`;
  const c: InferContext = {
    node,
    opset,
    x,
    sym,
    symbols: (rank, out = 0) => Array.from({ length: rank }, (_, i) => sym(i, out)),
    products,
    axes: () => {
      const v = axesAreInput(node.opType, opset) ? x(1).value : attrInts(node, node.opType === 'Split' ? 'split' : 'axes');
      return v?.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
    },
  };
  const rule = (node.domain ?? '') === '' ? INFER_RULES.get(node.opType) : undefined;
  const types = controlFlowTypes(node) ?? (node.domain ? undefined : rule?.types?.(c)) ?? firstInputType(node, x);
  const shapes = rule?.shapes(c) ?? [];
  return node.outputs.map((_, i) => {
    const f: Facts = {};
    const t = types[i];
    if (t !== undefined) f.dtype = t;
    const s = shapes[i];
    if (s?.shape) f.shape = s.shape;
    if (s?.value && t !== undefined && INTEGER_TYPES.has(t) && s.value.length <= MAX_VALUE_ELEMENTS) f.value = s.value;
    return f;
  });
}

/** Control flow: the types its body graph declares for its outputs (Loop's body first
 * outputs its condition). */
function controlFlowTypes(node: Node): (DataType | undefined)[] | undefined {
  const body = node.attributes[node.opType === 'If' ? 'then_branch' : 'body'];
  if (!['Loop', 'If', 'Scan'].includes(node.opType) || body?.kind !== 'graph') return undefined;
  const skip = node.opType === 'Loop' ? 1 : 0;
  return node.outputs.map((_, i) => body.value.outputs[i + skip]?.elemType);
}

/** The default: every output has the first typed input's type. Other domains stay unknown
 * rather than guessed. */
function firstInputType(node: Node, x: (i: number) => Facts): (DataType | undefined)[] {
  if ((node.domain ?? '') !== '') return node.outputs.map(() => undefined);
  const first = node.inputs.map((_, i) => x(i).dtype).find((t) => t !== undefined);
  return node.outputs.map(() => first);
}
