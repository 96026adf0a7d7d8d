// Subnormal float32 values (magnitude below 2^-126 ≈ 1.18e-38, not zero), counted from
// their bits. Reading them as numbers is not enough: on a thread whose flush-to-zero flags
// are set (onnx/ort.ts sets them for every process that opens a session) the CPU reads a
// subnormal float32 as 0, in JavaScript too.

/** The smallest normal float32, 2^-126. */
export const FLOAT32_MIN_NORMAL = 2 ** -126;

const EXPONENT = 0x7f800000;
const MANTISSA = 0x007fffff;

/** Whether float32 bits encode a subnormal (exponent 0, mantissa not 0). */
export const isSubnormalBits = (bits: number): boolean => (bits & EXPONENT) === 0 && (bits & MANTISSA) !== 0;

/** How many values of `data` are subnormal. */
export function countSubnormals(data: Float32Array): number {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let n = 0;
  for (let i = 0; i < bits.length; i++) if (isSubnormalBits(bits[i]!)) n++;
  return n;
}

/** Subnormal counts per named array, and their total. */
export function subnormalCounts(arrays: Record<string, Float32Array>): { total: number; by_name: Record<string, number> } {
  const byName: Record<string, number> = {};
  let total = 0;
  for (const [name, data] of Object.entries(arrays)) {
    const n = countSubnormals(data);
    if (n) byName[name] = n;
    total += n;
  }
  return { total, by_name: byName };
}
