// Small models for `pipeline llc` tests, built with our graph builder, with data drawn from
// them as teachers: at the teacher's own weights the model sits near the minimum of the
// empirical loss (within O(1/n)), so λ̂ there is finite and positive.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pcg32, standardNormal } from '../../pipeline/lib/util/prng.ts';
import { encodeSafetensors, type SafeTensors } from '../../pipeline/lib/util/safetensors.ts';
import { GraphBuilder, attr, modelOf, tensor } from '../../pipeline/lib/onnx/builder.ts';
import { DataType, type Dim, type Model, type TensorValue } from '../../pipeline/lib/onnx/ir.ts';
import { writeModelFile } from '../../pipeline/lib/onnx/io.ts';
import { createSession, runSession } from '../../pipeline/lib/onnx/ort.ts';

function gaussian(rng: Pcg32, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => scale * standardNormal(rng));
}

export interface MlpOptions {
  /** Layer widths, input first: [4, 8, 3] is 4 → 8 (tanh) → 3; [4, 3] is affine. */
  sizes: number[];
  seed: number;
  /** The input's first axis (default the dynamic 'n'); a number fixes the batch size. */
  batch?: Dim;
  /** Added to the last bias: weights away from the teacher's. */
  shift?: number;
}

/** x [batch, sizes[0]] → tanh MLP → y [batch, last]. */
export function mlp({ sizes, seed, batch = 'n', shift = 0 }: MlpOptions): Model {
  const rng = new Pcg32(seed, 7);
  const g = new GraphBuilder('mlp');
  let h = g.input('x', DataType.FLOAT, [batch, sizes[0]!]);
  for (let i = 1; i < sizes.length; i++) {
    const [fanIn, fanOut] = [sizes[i - 1]!, sizes[i]!];
    const last = i === sizes.length - 1;
    const w = g.initializer(`fc${i}.weight`, tensor.float32([fanIn, fanOut], gaussian(rng, fanIn * fanOut, 1.5 / Math.sqrt(fanIn))));
    const b = g.initializer(`fc${i}.bias`, tensor.float32([fanOut], gaussian(rng, fanOut, 0.3).map((v) => v + (last ? shift : 0))));
    h = g.op('Add', [g.op('MatMul', [h, w]), b]);
    if (!last) h = g.op('Tanh', [h]);
  }
  g.op('Identity', [h], {}, { outputs: ['y'] });
  g.output('y', DataType.FLOAT, [batch, sizes.at(-1)!]);
  return modelOf(g.build());
}

/** A tiny language model: tokens [n, T] int64 → embedding [V, D] (Gather) → MatMul [D, V]
 * → logits [n, T, V]. */
export function tokenModel(vocab: number, dim: number, seed: number): Model {
  const rng = new Pcg32(seed, 11);
  const g = new GraphBuilder('tokens');
  g.input('tokens', DataType.INT64, ['n', 'T']);
  const embed = g.initializer('embed', tensor.float32([vocab, dim], gaussian(rng, vocab * dim, 1)));
  const unembed = g.initializer('unembed', tensor.float32([dim, vocab], gaussian(rng, dim * vocab, 1.5 / Math.sqrt(dim))));
  g.op('MatMul', [g.op('Gather', [embed, 'tokens'], { axis: attr.int(0) }), unembed], {}, { outputs: ['logits'] });
  g.output('logits', DataType.FLOAT, ['n', 'T', vocab]);
  return modelOf(g.build());
}

/** The model's only output on x, run by onnxruntime. */
export async function predict(model: Model, x: TensorValue): Promise<TensorValue> {
  const session = await createSession(model);
  try {
    return Object.values(await runSession(session, { [model.graph.inputs[0]!.name]: x }))[0]!;
  } finally {
    await session.release();
  }
}

/** Rows of standard normal features [n, width]. */
export function normalRows(n: number, width: number, seed: number): TensorValue {
  return tensor.float32([n, width], gaussian(new Pcg32(seed, 3), n * width, 1));
}

/** Uniform random tokens [n, T] below `vocab`. */
export function randomTokens(n: number, T: number, vocab: number, seed: number): TensorValue {
  const rng = new Pcg32(seed, 5);
  return tensor.int64([n, T], Array.from({ length: n * T }, () => rng.below(vocab)));
}

/** One class index per position of logits [..., V], drawn from softmax(logits). */
export function sampleClasses(logits: TensorValue, seed: number): BigInt64Array {
  const rng = new Pcg32(seed, 9);
  const V = logits.dims.at(-1)!;
  const z = logits.data as Float32Array;
  return BigInt64Array.from({ length: z.length / V }, (_, r) => {
    const row = z.subarray(r * V, (r + 1) * V);
    const max = Math.max(...row);
    const p = Array.from(row, (v) => Math.exp(v - max));
    let u = rng.uniform() * p.reduce((a, b) => a + b, 0);
    let k = 0;
    while (k < V - 1 && (u -= p[k]!) > 0) k++;
    return BigInt(k);
  });
}

/** The teacher's prediction plus Gaussian noise of standard deviation `noise`. */
export function noisy(pred: TensorValue, noise: number, seed: number): Float32Array {
  const rng = new Pcg32(seed, 13);
  return Float32Array.from(pred.data as Float32Array, (v) => v + noise * standardNormal(rng));
}

/** torch.nn.functional.cross_entropy (mean reduction) of logits [..., V] against class
 * indices, one per position, in float64. */
export function crossEntropy(logits: TensorValue, y: BigInt64Array): number {
  const V = logits.dims.at(-1)!;
  const z = logits.data as Float32Array;
  let total = 0;
  y.forEach((k, r) => {
    const row = Array.from(z.subarray(r * V, (r + 1) * V));
    const max = Math.max(...row);
    total += max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) - row[Number(k)]!;
  });
  return total / y.length;
}

/** Writes `<name>.onnx` and `<name>.safetensors` into dir, each when given. */
export function writeCase(dir: string, name: string, model?: Model, tensors?: SafeTensors): { model: string; data: string } {
  const paths = { model: join(dir, `${name}.onnx`), data: join(dir, `${name}.safetensors`) };
  if (model) writeModelFile(paths.model, model);
  if (tensors) writeFileSync(paths.data, encodeSafetensors(tensors));
  return paths;
}
