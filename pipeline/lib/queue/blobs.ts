// The inputs of shards, stored in Redis under the sha256 of their bytes: the seed model's
// config, starting weights, masks and the training (and, to train, test) data. Redis rather than a shared
// artifacts folder, so a worker host needs nothing but the queue's address; these inputs
// are a few MB (Redis takes strings up to 512 MB). The head stores each once per stage and
// keeps it a day; a worker keeps the few it used last in memory and checks every hash.
// Stored as base64 text: BullMQ's client interface carries strings.
import type { RedisClient } from 'bullmq';
import { DataType, type TensorValue } from '../onnx/ir.ts';
import type { Dataset } from '../sgld/sessions.ts';
import { sha256 } from '../util/hash.ts';
import { decodeSafetensors, encodeSafetensors, type SafeDType } from '../util/safetensors.ts';
import { splitFromTensors, type SplitTensors } from '../../../schemas/dataset.ts';

const KEY = (hash: string) => `llc:blob:${hash}`;
const KEEP_S = 24 * 3600;
const CACHED = 16;

/** Stores `bytes` (unless there already) and returns their sha256. */
export async function putBlob(redis: RedisClient, bytes: Uint8Array): Promise<string> {
  const hash = sha256(bytes);
  // Same key, same bytes: storing again only renews its lifetime.
  await redis.set(KEY(hash), base64Of(bytes), { EX: KEEP_S });
  return hash;
}

/** Where a shard's inputs come from, by the sha256 of their bytes. */
export interface BlobSource {
  get(hash: string): Promise<Buffer>;
}

export class BlobCache implements BlobSource {
  private readonly blobs = new Map<string, Buffer>();

  constructor(private readonly redis: RedisClient) {}

  async get(hash: string): Promise<Buffer> {
    let bytes = this.blobs.get(hash);
    if (!bytes) {
      const text = await this.redis.get(KEY(hash));
      if (text === null) throw new Error(`input ${hash.slice(0, 12)}… is not in Redis (expired, or Redis lost its data); rerun the stage on the head node`);
      const got = Buffer.from(text, 'base64');
      if (sha256(got) !== hash) throw new Error(`input ${hash.slice(0, 12)}… in Redis has sha256 ${sha256(got).slice(0, 12)}…: corrupted`);
      bytes = got;
      if (this.blobs.size >= CACHED) this.blobs.delete(this.blobs.keys().next().value!);
    } else this.blobs.delete(hash);
    this.blobs.set(hash, bytes); // most recently used last
    return bytes;
  }
}

/** Bytes as base64 text, read in place. */
export function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function float32Bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function float32Of(bytes: Buffer): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const DTYPES: Partial<Record<DataType, SafeDType>> = { [DataType.FLOAT]: 'F32', [DataType.INT64]: 'I64', [DataType.INT32]: 'I32' };

function safeDType(t: TensorValue, name: string): SafeDType {
  const d = DTYPES[t.dataType];
  if (!d) throw new Error(`the training data's ${name} is ${DataType[t.dataType]}; the queue carries FLOAT, INT64 and INT32 data`);
  return d;
}

export function datasetBytes(data: Dataset): Uint8Array {
  const tensor = (t: TensorValue, name: string) => ({ dtype: safeDType(t, name), shape: t.dims, data: t.data as Float32Array });
  return encodeSafetensors({ x: tensor(data.x, 'x'), y: tensor(data.y, 'y') }, data.loss ? { loss: JSON.stringify(data.loss) } : {});
}

/** A generate split (tokens, targets) as bytes, and back. */
export function splitBytes(s: SplitTensors): Uint8Array {
  return encodeSafetensors({ tokens: { dtype: 'I64', shape: [s.n, s.seqLen], data: s.tokens }, targets: { dtype: 'F32', shape: [s.n, s.seqLen], data: s.targets } });
}

export function splitOf(bytes: Uint8Array): SplitTensors {
  return splitFromTensors(decodeSafetensors(bytes, 'queued split').tensors, 'queued split');
}

export function datasetOf(bytes: Uint8Array): Dataset {
  const { tensors, metadata } = decodeSafetensors(bytes, 'queued training data');
  const value = (name: 'x' | 'y'): TensorValue => {
    const t = tensors[name]!;
    const dataType = Number(Object.entries(DTYPES).find(([, d]) => d === t.dtype)![0]) as DataType;
    return { dataType, dims: t.shape, data: t.data };
  };
  return { x: value('x'), y: value('y'), ...(metadata.loss ? { loss: JSON.parse(metadata.loss) } : {}) };
}
