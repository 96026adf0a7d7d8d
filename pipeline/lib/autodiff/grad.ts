// Reverse-mode automatic differentiation over ONNX graphs, written with standard ONNX ops
// only, because onnxruntime-node ships no training or gradient kernels. The result is a
// new graph that computes everything the old one did plus the gradients of a scalar loss,
// so one session.run (or one step of a Loop whose body it becomes) does forward and
// backward together.
//
// Gradients flow only along nodes on a path from a wrt value to the loss, through float
// values and differentiable ops; each op type has a rule (rules/<Op>.ts) that emits the
// backward nodes for one forward node.
import { GraphBuilder } from '../onnx/builder.ts';
import { DataType, defaultOpset, type Graph, type Model, type Node, type ValueInfo } from '../onnx/ir.ts';
import { optionalInput } from '../onnx/attrs.ts';
import { Emitter } from './emit.ts';
import { type Facts, inferFacts } from '../onnx/infer/facts.ts';
import type { GradRule, RuleContext } from './rule.ts';
import { NON_DIFFERENTIABLE, RULES } from './rules/index.ts';

export interface GradientOptions {
  /** Default-domain opset the graph is written in; at least 13 (axes as inputs). */
  opset: number;
  /** Starts the name of every added node and value (default 'grad/'). Choose one that no
   * enclosing graph uses when the result becomes a Loop body. */
  prefix?: string;
  /** Element types and shapes of values the graph reads from an enclosing scope. */
  outerScope?: ValueInfo[];
}

export interface Gradients {
  graph: Graph;
  /** For each wrt value, the name of the graph output holding its gradient. */
  gradients: Record<string, string>;
}

const FLOAT_TYPES: ReadonlySet<DataType> = new Set([DataType.FLOAT, DataType.DOUBLE]);

/**
 * Adds to `graph` the gradients of the scalar float value `loss` with respect to `wrt`
 * (float graph inputs or initializers), as new outputs named `<prefix><wrt name>` (made
 * unique if taken). A wrt value the loss does not depend on gets a zero gradient. A
 * non-scalar loss is differentiated as the sum of its elements.
 */
export function addGradients(graph: Graph, loss: string, wrt: string[], options: GradientOptions): Gradients {
  const { opset, prefix = 'grad/', outerScope = [] } = options;
  if (opset < 13) throw new Error(`autodiff: opset ${opset} is not supported (13 or newer needed)`);
  const facts = inferFacts(graph, opset, outerScope);
  const floatType = (v: string): boolean => FLOAT_TYPES.has(facts.get(v)?.dtype as DataType);

  const sources = new Set([...graph.inputs.map((v) => v.name), ...graph.initializers.map((v) => v.name)]);
  if (new Set(wrt).size !== wrt.length) throw new Error('autodiff: a value is listed twice in wrt');
  for (const w of wrt) {
    if (!sources.has(w)) throw new Error(`autodiff: "${w}" is not a graph input or initializer`);
    if (!floatType(w)) throw new Error(`autodiff: "${w}" is not a float or double tensor`);
  }
  if (!floatType(loss)) throw new Error(`autodiff: the loss "${loss}" is not a known float or double value of the graph`);

  // Copies, so a rule may give a forward node an optional output without touching `graph`.
  const nodes: Node[] = graph.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] }));
  const { path, reached } = gradientPath(nodes, facts, loss, wrt);
  const missing = missingRules(path);
  if (missing.length > 0) throw new Error(`autodiff: ${missingRulesMessage(missing)}`);

  const builder = new GraphBuilder(graph.name, prefix);
  for (const name of allNames(graph)) builder.reserve(name);
  const e = new Emitter(builder, opset, facts);

  const contributions = new Map<string, string[]>();
  const contribute = (v: string, g: string): void => {
    contributions.set(v, [...(contributions.get(v) ?? []), g]);
  };
  /** The summed gradient of v, or undefined where none reached it. */
  const total = (v: string): string | undefined => {
    const parts = contributions.get(v);
    if (!parts || parts.length <= 1) return parts?.[0];
    const sum = e.sum(parts);
    contributions.set(v, [sum]);
    return sum;
  };

  contribute(loss, e.filled(loss, 1));
  for (const node of path) {
    const rule = ruleFor(node)!;
    const needs = (i: number): boolean => reached.has(node.inputs[i] ?? '');
    const grads = rule.grad(ruleContext(node, e, needs, total));
    node.inputs.forEach((input, i) => {
      if (!needs(i)) return;
      const g = grads[i];
      if (g === undefined) throw new Error(`autodiff: ${node.opType} node "${node.name}" has no gradient for its input ${i} ("${input}")`);
      contribute(input, g);
    });
  }

  const gradients: Record<string, string> = {};
  const outputs: ValueInfo[] = [];
  for (const w of wrt) {
    const name = builder.fresh(w);
    builder.node('Identity', [total(w) ?? e.filled(w, 0)], {}, { outputs: [name] });
    gradients[w] = name;
    const shape = facts.get(w)?.shape;
    outputs.push(shape ? { name, elemType: e.dtype(w), shape } : { name, elemType: e.dtype(w) });
  }
  return {
    graph: { ...graph, nodes: [...nodes, ...withoutUnused(builder.nodes, outputs)], outputs: [...graph.outputs, ...outputs] },
    gradients,
  };
}

/**
 * The nodes the gradient of `loss` with respect to `wrt` passes through, from the loss
 * back (those on a path from a wrt value to the loss through values that may carry a
 * gradient), and every value a wrt value reaches.
 */
function gradientPath(nodes: Node[], facts: Map<string, Facts>, loss: string, wrt: string[]): { path: Node[]; reached: Set<string> } {
  // A value of unknown type may carry a gradient: an op on the path without a rule then
  // fails loudly instead of silently cutting the gradient.
  const mayCarry = (v: string): boolean => {
    const t = facts.get(v)?.dtype;
    return t === undefined || FLOAT_TYPES.has(t);
  };
  const reached = new Set(wrt);
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.opType) || !reads(n).some((v) => reached.has(v))) continue;
    for (const out of n.outputs) if (out !== '' && mayCarry(out)) reached.add(out);
  }
  const wanted = new Set([loss]);
  const path: Node[] = [];
  for (const n of [...nodes].reverse()) {
    if (!n.outputs.some((v) => wanted.has(v) && reached.has(v))) continue;
    path.push(n);
    for (const v of n.inputs) if (reached.has(v)) wanted.add(v);
  }
  return { path, reached };
}

function ruleFor(node: Node): GradRule | undefined {
  return (node.domain ?? '') === '' ? RULES.get(node.opType) : undefined;
}

function qualifiedOp(node: Node): string {
  return node.domain ? `${node.domain}.${node.opType}` : node.opType;
}

/** An op type on the gradient path without a rule, with the nodes that use it. */
export interface MissingRule {
  op: string;
  nodes: string[];
}

function missingRules(path: Node[]): MissingRule[] {
  const missing = new Map<string, string[]>();
  for (const node of [...path].reverse()) {
    if (ruleFor(node)) continue;
    const op = qualifiedOp(node);
    missing.set(op, [...(missing.get(op) ?? []), node.name]);
  }
  return [...missing].map(([op, nodes]) => ({ op, nodes }));
}

/** Names every missing op at once, so a user sees the whole gap before any sampling. */
export function missingRulesMessage(missing: MissingRule[]): string {
  const each = missing.map(({ op, nodes }) => {
    const shown = nodes.slice(0, 3).map((n) => `"${n}"`).join(', ');
    return `${op} (node ${shown}${nodes.length > 3 ? ` and ${nodes.length - 3} more` : ''})`;
  });
  return `no gradient rule for op type${missing.length === 1 ? '' : 's'} ${each.join('; ')}`;
}

/** How each op type of a graph stands with respect to the gradient of `loss` (a value
 * downstream of the wrt values): what `pipeline llc --check-ops` prints. */
export interface OpCoverage {
  op: string;
  count: number;
  /** 'rule': differentiated by its rule; 'stops': declared non-differentiable; 'off-path':
   * no gradient passes through it here; 'missing': on the path without a rule. */
  status: 'rule' | 'stops' | 'off-path' | 'missing';
}

export function opCoverage(graph: Graph, opset: number, loss: string, wrt: string[]): OpCoverage[] {
  const facts = inferFacts(graph, opset);
  const onPath = new Set(gradientPath(graph.nodes, facts, loss, wrt).path);
  const byOp = new Map<string, OpCoverage>();
  for (const node of graph.nodes) {
    const op = qualifiedOp(node);
    const status: OpCoverage['status'] = ruleFor(node) ? 'rule' : NON_DIFFERENTIABLE.has(op) ? 'stops' : onPath.has(node) ? 'missing' : 'off-path';
    const seen = byOp.get(op);
    if (!seen) byOp.set(op, { op, count: 1, status });
    else {
      seen.count += 1;
      if (status === 'missing') seen.status = 'missing';
    }
  }
  return [...byOp.values()].sort((a, b) => a.op.localeCompare(b.op));
}

/** The added nodes that contribute to the gradient outputs (rules may emit a node whose
 * use is later optimised away, see Emitter.sum). */
function withoutUnused(added: Node[], outputs: ValueInfo[]): Node[] {
  const used = new Set(outputs.map((o) => o.name));
  const kept: Node[] = [];
  for (const n of [...added].reverse()) {
    if (!n.outputs.some((o) => used.has(o))) continue;
    kept.push(n);
    for (const v of n.inputs) used.add(v);
  }
  return kept.reverse();
}

/** addGradients on a model's main graph, in the model's opset. */
export function addModelGradients(
  model: Model,
  loss: string,
  wrt: string[],
  options: Omit<GradientOptions, 'opset'> = {},
): { model: Model; gradients: Record<string, string> } {
  const { graph, gradients } = addGradients(model.graph, loss, wrt, { ...options, opset: defaultOpset(model) });
  return { model: { ...model, graph }, gradients };
}

function ruleContext(node: Node, e: Emitter, needs: (i: number) => boolean, total: (v: string) => string | undefined): RuleContext {
  const output = (i: number): string => {
    while (node.outputs.length <= i) node.outputs.push('');
    if (node.outputs[i] === '') node.outputs[i] = e.fresh(`${node.name}_output_${i}`);
    return node.outputs[i]!;
  };
  const dyMaybe = (i: number): string | undefined => {
    const out = node.outputs[i];
    return out ? total(out) : undefined;
  };
  return {
    node,
    e,
    needs,
    output,
    dyMaybe,
    input: (i) => {
      const name = optionalInput(node, i);
      if (name === undefined) throw new Error(`autodiff: ${node.opType} node "${node.name}" lacks input ${i}`);
      return name;
    },
    outShape: (i = 0) => e.shape(node.outputs[i] ?? ''),
    dy: (i = 0) => {
      const g = dyMaybe(i);
      if (g === undefined) throw new Error(`autodiff: no gradient reaches output ${i} of ${node.opType} node "${node.name}"`);
      return g;
    },
  };
}

/** The values a node reads: its inputs and, for control flow, every name its subgraphs
 * use (a superset of what they read from the enclosing scope). Without the latter, an If
 * whose branches read a weight directly would silently cut its gradient instead of
 * failing for want of a rule. */
function reads(node: Node): string[] {
  const names = [...node.inputs];
  for (const a of Object.values(node.attributes)) if (a.kind === 'graph') for (const n of a.value.nodes) names.push(...reads(n));
  return names;
}

/** Every node and value name in the graph and its subgraphs, which added names must avoid. */
function allNames(graph: Graph): Set<string> {
  const names = new Set<string>();
  const visit = (g: Graph): void => {
    for (const v of [...g.inputs, ...g.outputs, ...g.initializers, ...(g.valueInfo ?? [])]) names.add(v.name);
    for (const n of g.nodes) {
      names.add(n.name);
      for (const v of [...n.inputs, ...n.outputs]) if (v !== '') names.add(v);
      for (const a of Object.values(n.attributes)) if (a.kind === 'graph') visit(a.value);
    }
  };
  visit(graph);
  return names;
}
