// Runs an ONNX graph with tfjs ops, one registered unit per op type (registry.ts). Weights
// can be passed as tf.Variables, so tf.variableGrads / an optimiser differentiate straight
// through a run: training uses the very graph that is exported.
import * as tf from '@tensorflow/tfjs-core';
import { defaultOpset, type AttrValue, type Graph, type Initializer, type Model, type Node, type TensorValue } from '../onnx/ir.ts';
import { tfDtype, toTf } from './convert.ts';
import { MaskRng } from './rng.ts';
import { opUnit } from './registry.ts';
import type { OpContext, OpUnit } from './op.ts';

export interface InterpreterOptions {
  /** Seed of the dropout mask stream that runs without their own seed continue (default 0). */
  seed?: number;
}

export interface RunOptions {
  /** Draw this run's dropout masks from a fresh stream with this seed (e.g. one per training
   * step, so any step can be replayed). */
  seed?: number;
}

interface Step {
  node: Node;
  unit: OpUnit;
}

/**
 * An ONNX graph prepared for tfjs. Needs a tfjs backend set first (see backend.ts); the
 * tensors it keeps (constant-derived values, initializer values) live on that backend until
 * dispose().
 */
export class TfjsInterpreter {
  private readonly graph: Graph;
  private readonly steps: Step[] = [];
  /** Values that depend only on Constant nodes, computed once. */
  private readonly statics = new Map<string, tf.Tensor>();
  private readonly staticNumbers = new Map<string, number[]>();
  private readonly initializers: ReadonlyMap<string, Initializer>;
  /** Initializer values, made on first use when the caller does not supply the weight. */
  private readonly initValues = new Map<string, tf.Tensor>();
  private readonly feedNames: ReadonlySet<string>;
  private rng: MaskRng;

  constructor(source: Model | Graph, options: InterpreterOptions = {}) {
    if ('graph' in source) {
      const opset = defaultOpset(source);
      if (opset < 13) throw new Error(`tfjs interpreter: opset ${opset} is not supported (13 or later: axes and split sizes are inputs)`);
    }
    this.graph = 'graph' in source ? source.graph : source;
    this.rng = new MaskRng(options.seed ?? 0);
    this.initializers = new Map(this.graph.initializers.map((i) => [i.name, i]));
    this.feedNames = new Set(this.graph.inputs.map((i) => i.name).filter((n) => !this.initializers.has(n)));

    const known = new Set([...this.feedNames, ...this.initializers.keys()]);
    const plan: Step[] = [];
    for (const node of this.graph.nodes) {
      const where = `${node.opType} node "${node.name}"`;
      const unit = node.domain && node.domain !== 'ai.onnx' ? undefined : opUnit(node.opType);
      if (!unit) throw new Error(`tfjs interpreter: unsupported op type ${node.domain ? `${node.domain}.` : ''}${node.opType} (${where})`);
      for (const input of node.inputs) {
        if (input && !known.has(input)) throw new Error(`tfjs interpreter: ${where} reads "${input}", which no earlier node, input or initializer provides`);
      }
      for (const output of node.outputs) if (output) known.add(output);
      plan.push({ node, unit });
    }
    for (const output of this.graph.outputs) {
      if (!known.has(output.name)) throw new Error(`tfjs interpreter: graph output "${output.name}" is never computed`);
    }

    // Constant folding: a node whose inputs all derive from Constant nodes runs once, here.
    tf.tidy(() => {
      for (const step of plan) {
        const foldable = !step.unit.random && step.node.inputs.every((i) => i === '' || this.statics.has(i));
        if (!foldable) {
          this.steps.push(step);
          continue;
        }
        const outputs = this.runStep(step, this.statics, this.rng);
        step.node.outputs.forEach((name, k) => {
          if (name) this.statics.set(name, tf.keep(outputs[k]!));
        });
      }
    });
  }

  /**
   * Runs the graph. `feeds` gives every graph input; `weights` replaces initializers by name
   * (tf.Variables for training). Returns the graph outputs by name; the caller owns them.
   */
  run(feeds: Record<string, tf.Tensor>, weights: Record<string, tf.Tensor> = {}, options: RunOptions = {}): Record<string, tf.Tensor> {
    for (const name of this.feedNames) if (!(name in feeds)) throw new Error(`tfjs interpreter: missing graph input "${name}"`);
    for (const name of Object.keys(feeds)) if (!this.feedNames.has(name)) throw new Error(`tfjs interpreter: "${name}" is not a graph input (inputs: ${[...this.feedNames].join(', ')})`);
    for (const input of this.graph.inputs) {
      const fed = feeds[input.name];
      if (fed) checkFeed(`graph input "${input.name}"`, fed, tfDtype(input.elemType, `graph input "${input.name}"`), input.shape);
    }
    for (const [name, value] of Object.entries(weights)) {
      const init = this.initializers.get(name);
      if (!init) throw new Error(`tfjs interpreter: weight "${name}" is not an initializer of the graph`);
      checkFeed(`weight "${name}"`, value, tfDtype(init.dataType, `initializer "${name}"`), init.dims);
    }
    const rng = options.seed === undefined ? this.rng : new MaskRng(options.seed);

    return tf.tidy(() => {
      const env = new Map(this.statics);
      for (const name of this.initializers.keys()) env.set(name, weights[name] ?? this.initializerValue(name));
      for (const [name, value] of Object.entries(feeds)) env.set(name, value);
      // Tensors the caller or the interpreter owns; an output that is one of them (a constant,
      // a feed, a weight passed through) is copied, so disposing outputs never frees them.
      const owned = new Set(env.values());
      for (const step of this.steps) {
        const outputs = this.runStep(step, env, rng);
        step.node.outputs.forEach((name, k) => {
          if (name) env.set(name, outputs[k]!);
        });
      }
      return Object.fromEntries(this.graph.outputs.map((o) => {
        const value = env.get(o.name)!;
        return [o.name, owned.has(value) ? tf.clone(value) : value];
      }));
    });
  }

  /** Frees the tensors the interpreter keeps. */
  dispose(): void {
    for (const t of this.statics.values()) t.dispose();
    for (const t of this.initValues.values()) t.dispose();
    this.statics.clear();
    this.initValues.clear();
  }

  private initializerValue(name: string): tf.Tensor {
    let value = this.initValues.get(name);
    if (!value) {
      value = tf.keep(toTf(this.initializers.get(name)!, `initializer "${name}"`));
      this.initValues.set(name, value);
    }
    return value;
  }

  private runStep(step: Step, env: ReadonlyMap<string, tf.Tensor>, rng: MaskRng): tf.Tensor[] {
    const ctx = new NodeContext(step.node, env, this.statics, this.staticNumbers, rng);
    const outputs = step.unit.run(ctx);
    const wanted = step.node.outputs.length;
    if (outputs.length < wanted) throw ctx.error(`produced ${outputs.length} outputs, the node names ${wanted}`);
    return outputs;
  }
}

function checkFeed(what: string, t: tf.Tensor, dtype: string, shape: readonly (number | string)[] | undefined): void {
  if (t.dtype !== dtype) throw new Error(`tfjs interpreter: ${what} is ${t.dtype}, expected ${dtype}`);
  if (!shape) return;
  const fits = t.rank === shape.length && shape.every((d, i) => typeof d !== 'number' || d === t.shape[i]);
  if (!fits) throw new Error(`tfjs interpreter: ${what} has shape [${t.shape}], expected [${shape}]`);
}

class NodeContext implements OpContext {
  constructor(
    readonly node: Node,
    private readonly env: ReadonlyMap<string, tf.Tensor>,
    private readonly statics: ReadonlyMap<string, tf.Tensor>,
    private readonly staticNumbers: Map<string, number[]>,
    private readonly rng: MaskRng,
  ) {}

  input(i: number): tf.Tensor {
    const t = this.optionalInput(i);
    if (!t) throw this.error(`input ${i} is required`);
    return t;
  }

  optionalInput(i: number): tf.Tensor | undefined {
    const name = this.node.inputs[i];
    return name ? this.env.get(name) : undefined;
  }

  values(i: number): number[] {
    const name = this.node.inputs[i] ?? '';
    const cached = this.staticNumbers.get(name);
    if (cached) return cached;
    const numbers = Array.from(this.input(i).dataSync(), Number);
    if (this.statics.has(name)) this.staticNumbers.set(name, numbers);
    return numbers;
  }

  attrInt(name: string, fallback?: number): number {
    return this.attr(name, 'int', fallback);
  }

  attrFloat(name: string, fallback?: number): number {
    return this.attr(name, 'float', fallback);
  }

  attrInts(name: string, fallback?: number[]): number[] {
    return this.attr(name, 'ints', fallback);
  }

  attrTensor(name: string): TensorValue {
    return this.attr(name, 'tensor', undefined);
  }

  dropoutMask(shape: number[], ratio: number): tf.Tensor {
    return tf.tensor(this.rng.dropoutMask(shape.reduce((a, b) => a * b, 1), ratio), shape, 'float32');
  }

  error(message: string): Error {
    return new Error(`tfjs interpreter: ${this.node.opType} node "${this.node.name}": ${message}`);
  }

  private attr<K extends 'int' | 'float' | 'ints' | 'tensor'>(name: string, kind: K, fallback: Extract<AttrValue, { kind: K }>['value'] | undefined) {
    const a = this.node.attributes[name];
    if (!a) {
      if (fallback === undefined) throw this.error(`attribute "${name}" is required`);
      return fallback;
    }
    if (a.kind !== kind) throw this.error(`attribute "${name}" is ${a.kind}, expected ${kind}`);
    return a.value as Extract<AttrValue, { kind: K }>['value'];
  }
}
