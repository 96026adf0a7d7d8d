// safetensors: an 8-byte little-endian header length, a JSON header of
// {name: {dtype, shape, data_offsets}}, then the raw little-endian buffers. Python reads
// these with one call (safetensors.torch.load_file), which is why every tensor artifact
// uses it.

export type SafeDType = 'F32' | 'F64' | 'I64' | 'I32' | 'U8' | 'I8' | 'BOOL';

export type SafeData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  data: SafeData;
}

export type SafeTensors = Record<string, SafeTensor>;

const BYTES: Record<SafeDType, number> = { F32: 4, F64: 8, I64: 8, I32: 4, U8: 1, I8: 1, BOOL: 1 };

function view(dtype: SafeDType, bytes: Uint8Array): SafeData {
  // Copy into a fresh, aligned buffer: slices of a file buffer are rarely 8-byte aligned.
  // (new Uint8Array(view) copies; Buffer.slice would share memory.)
  const buf = new Uint8Array(bytes).buffer;
  switch (dtype) {
    case 'F32': return new Float32Array(buf);
    case 'F64': return new Float64Array(buf);
    case 'I64': return new BigInt64Array(buf);
    case 'I32': return new Int32Array(buf);
    case 'U8': case 'BOOL': return new Uint8Array(buf);
    case 'I8': return new Int8Array(buf);
  }
}

function expectedArray(dtype: SafeDType): string {
  return { F32: 'Float32Array', F64: 'Float64Array', I64: 'BigInt64Array', I32: 'Int32Array', U8: 'Uint8Array', BOOL: 'Uint8Array', I8: 'Int8Array' }[dtype];
}

/** Serialises tensors; names are written in sorted order so equal content gives equal bytes. */
export function encodeSafetensors(tensors: SafeTensors, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    if (t.data.constructor.name !== expectedArray(t.dtype)) {
      throw new Error(`safetensors: tensor "${name}" has dtype ${t.dtype} but holds a ${t.data.constructor.name}`);
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new Error(`safetensors: tensor "${name}" has shape [${t.shape}] (${count} elements) but ${t.data.length} values`);
    }
    const size = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the Python writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

/** Parses a safetensors buffer; `source` names the file in error messages. */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): { tensors: SafeTensors; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${source}: not a safetensors file (only ${bytes.length} bytes)`);
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  if (headerLen > bytes.length - 8) throw new Error(`${source}: not a safetensors file (header length ${headerLen} exceeds file size ${bytes.length})`);
  let header: Record<string, { dtype: SafeDType; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLen)).toString('utf8'));
  } catch (e) {
    throw new Error(`${source}: not a safetensors file (header is not JSON: ${(e as Error).message})`);
  }
  const base = 8 + headerLen;
  const tensors: SafeTensors = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: SafeDType; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in BYTES)) throw new Error(`${source}: tensor "${name}" has unsupported dtype ${dtype}`);
    const [start, end] = data_offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - start !== count * BYTES[dtype] || base + end > bytes.length) {
      throw new Error(`${source}: tensor "${name}" offsets [${start}, ${end}] do not match shape [${shape}] of ${dtype} or the file size`);
    }
    tensors[name] = { dtype, shape, data: view(dtype, bytes.subarray(base + start, base + end)) };
  }
  return { tensors, metadata };
}

/** The named tensor, or an error naming the file and what it does hold. */
export function requireTensor(tensors: SafeTensors, name: string, source: string, dtype?: SafeDType): SafeTensor {
  const t = tensors[name];
  if (!t) throw new Error(`${source}: no tensor "${name}" (it holds: ${Object.keys(tensors).join(', ') || 'nothing'})`);
  if (dtype && t.dtype !== dtype) throw new Error(`${source}: tensor "${name}" is ${t.dtype}, expected ${dtype}`);
  return t;
}
