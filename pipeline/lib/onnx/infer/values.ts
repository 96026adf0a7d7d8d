// Which integer tensors have their contents tracked (shape arithmetic), and the facts of a
// tensor constant.
import { DataType, type TensorValue } from '../ir.ts';
import type { Facts } from './rule.ts';

/** Contents are tracked for shape-sized tensors only, never for data. */
export const MAX_VALUE_ELEMENTS = 64;

export const INTEGER_TYPES: ReadonlySet<number> = new Set<number>([DataType.INT64, DataType.INT32, DataType.INT8, DataType.UINT8]);

/** Facts of a tensor constant: its type and shape, and its contents if small and integer. */
export function tensorFacts(t: TensorValue): Facts {
  const f: Facts = { dtype: t.dataType, shape: [...t.dims] };
  if (INTEGER_TYPES.has(t.dataType) && t.data.length <= MAX_VALUE_ELEMENTS) f.value = Array.from(t.data as ArrayLike<number | bigint>, Number);
  return f;
}
