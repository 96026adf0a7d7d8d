// Glue between our Model / TensorValue and onnxruntime-node: sessions with explicit
// device, thread and subnormal settings, and tensor conversions in both directions.
import * as ort from 'onnxruntime-node';
import { DataType, type Model, type TensorValue } from './ir.ts';
import { encodeModel } from './io.ts';
import { GraphBuilder, modelOf, tensor } from './builder.ts';

export type Device = 'cpu' | 'cuda';

/**
 * What the CPU does with subnormal floats (|x| < 2^-126, docs/subnormals.md). Some CPUs take
 * ~100× longer for arithmetic on them, and long training runs fill their state with them,
 * so every session flushes them to zero: onnxruntime's `session.set_denormal_as_zero` sets
 * the flush-to-zero and denormals-are-zero flags on the session's pool threads and — once
 * per process, from the first session created — on the calling thread, which does all the
 * work of a 1-thread session. The calling thread is also where JavaScript and the tfjs wasm
 * backend compute, so in a process that opened a session they flush too (a subnormal float32
 * even reads as 0 there: count them from their bits). Since the calling thread's flags are
 * set once per process, the policy is the process's: `PIPELINE_SUBNORMALS=keep` keeps them,
 * to measure what they cost (pipeline doctor, npm run bench) or to reproduce older results.
 */
export type Subnormals = 'flush' | 'keep';
export const SUBNORMALS_ENV = 'PIPELINE_SUBNORMALS';

/** This process's policy, from PIPELINE_SUBNORMALS (default flush). */
export function subnormalPolicy(): Subnormals {
  const value = process.env[SUBNORMALS_ENV] ?? 'flush';
  if (value !== 'flush' && value !== 'keep') throw new Error(`${SUBNORMALS_ENV}=${value}: expected flush or keep`);
  return value;
}

export interface CreateSessionOptions {
  /** Execution provider (default 'cpu'). 'cuda' never falls back to CPU silently. */
  device?: Device;
  /** Intra-op threads (default 1): extra threads spin and ran 2–3× slower when another
   * process was busy (FACTS.md), and our parallelism comes from batching chains. */
  threads?: number;
  /** onnxruntime graph optimisations (default 'all'). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Any further onnxruntime session options (e.g. `extra: { session: { 'intra_op.allow_spinning': '0' } }`);
   * they cannot override the provider or thread settings above. */
  extra?: Omit<ort.InferenceSession.SessionOptions, 'executionProviders' | 'intraOpNumThreads' | 'interOpNumThreads'>;
}

/** Opens an onnxruntime session on a model (ours, or ONNX bytes). */
export async function createSession(model: Model | Uint8Array, options: CreateSessionOptions = {}): Promise<ort.InferenceSession> {
  const device = options.device ?? 'cpu';
  const threads = options.threads ?? 1;
  if (device !== 'cpu' && device !== 'cuda') throw new Error(`createSession: unknown device "${String(device)}" (use cpu or cuda)`);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`createSession: threads must be a positive integer, got ${threads}`);
  const subnormals = subnormalPolicy();
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  const extraOptions = (options.extra?.extra ?? {}) as Record<string, unknown>;
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    ...options.extra,
    extra: { ...extraOptions, session: { ...(extraOptions.session as object | undefined), set_denormal_as_zero: subnormals === 'flush' ? '1' : '0' } },
    executionProviders: [device],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
  };
  try {
    return await ort.InferenceSession.create(bytes, sessionOptions);
  } catch (e) {
    const msg = (e as Error).message;
    if (device === 'cuda') {
      // Typically "Failed to load shared library …providers_cuda.so": the provider files are
      // missing or do not match this CUDA. Running on CPU instead would be a silent lie.
      throw new Error(
        `onnxruntime: could not create a session on the CUDA execution provider (${msg}). ` +
          'Not falling back to CPU: install the CUDA provider next to libonnxruntime.so.1 (README: GPUs) or use --device cpu.',
      );
    }
    throw new Error(`onnxruntime: could not create a CPU session (${msg})`);
  }
}

/**
 * Whether this thread flushes subnormals now, read off values: a one-node session multiplies
 * a subnormal input by 1 (denormals-are-zero gives 0) and a normal one by ½ into the subnormal
 * range (flush-to-zero gives 0). Where it is the process's first session it sets the calling
 * thread's flags: the tfjs engine, which opens no session of its own, gets them so.
 */
export async function subnormalsFlushed(): Promise<{ inputs: boolean; outputs: boolean }> {
  const g = new GraphBuilder('subnormal_probe');
  g.input('x', DataType.FLOAT, [2]);
  g.op('Mul', ['x', g.constant(tensor.float32([2], [1, 0.5]))], {}, { outputs: ['y'] });
  g.output('y', DataType.FLOAT, [2]);
  const session = await createSession(modelOf(g.build()));
  try {
    // 2^-130 (subnormal) and 2^-126 (the smallest normal; half of it is subnormal), written as bits so
    // that no JavaScript conversion on a flushing thread touches them.
    const x = new Float32Array(new Uint32Array([0x00080000, 0x00800000]).buffer);
    const y = (await runSession(session, { x: { dataType: DataType.FLOAT, dims: [2], data: x } })).y!.data as Float32Array;
    const bits = new Uint32Array(y.buffer, y.byteOffset, 2);
    return { inputs: bits[0] === 0, outputs: bits[1] === 0 };
  } finally {
    await session.release();
  }
}

/** Our data type <-> onnxruntime's tensor type name. */
const ORT_TYPE: Partial<Record<DataType, ort.Tensor.Type>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.DOUBLE]: 'float64',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.BOOL]: 'bool',
};
const FROM_ORT = new Map(Object.entries(ORT_TYPE).map(([k, v]) => [v, Number(k) as DataType]));

/** Wraps a TensorValue for onnxruntime (no copy: the tensor shares the data). */
export function toOrt(t: TensorValue): ort.Tensor {
  const type = ORT_TYPE[t.dataType];
  if (!type) throw new Error(`toOrt: data type ${t.dataType} has no onnxruntime mapping`);
  // onnxruntime checks that the typed array suits the type (e.g. BigInt64Array for int64).
  return new ort.Tensor(type, t.data as ort.Tensor.DataTypeMap[typeof type], t.dims);
}

/** Reads an onnxruntime (CPU) tensor back (no copy). */
export function fromOrt(t: ort.Tensor): TensorValue {
  const dataType = FROM_ORT.get(t.type);
  if (dataType === undefined) throw new Error(`fromOrt: onnxruntime tensor type "${t.type}" is not supported`);
  if (t.location !== 'cpu') throw new Error(`fromOrt: tensor lives on "${t.location}", not in host memory`);
  return { dataType, dims: [...t.dims], data: t.data as TensorValue['data'] };
}

/** Runs a session on TensorValue feeds and returns TensorValue outputs (all, or those named). */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, TensorValue>,
  outputNames?: readonly string[],
): Promise<Record<string, TensorValue>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
  const results = outputNames ? await session.run(ortFeeds, outputNames) : await session.run(ortFeeds);
  const out: Record<string, TensorValue> = {};
  for (const [name, t] of Object.entries(results)) out[name] = fromOrt(t);
  return out;
}
