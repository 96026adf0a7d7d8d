// Glue between our Model / TensorValue and onnxruntime-node: sessions with explicit
// device and thread settings, and tensor conversions in both directions.
import * as ort from 'onnxruntime-node';
import { DataType, type Model, type TensorValue } from './ir.ts';
import { encodeModel } from './io.ts';

export type Device = 'cpu' | 'cuda';

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
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    ...options.extra,
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
