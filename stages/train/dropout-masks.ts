// Dropout for the onnxruntime training engine, as a pure function of (train.seed, step,
// site, element) that costs one slice per site and is the same on CPU and CUDA:
//   keep[step, site] = table[o .. o + size)   with o = below(T − size + 1) from the PCG32
//   stream (train.seed, 2^32 + step), drawn site after site in graph order,
//   y = x · keep / (1 − p)                    (inverted dropout, as PyTorch)
// `table` holds T ≥ 2^24 keep bits, each 1 with probability 1 − p, drawn once per run from
// train.seed. Within a mask the bits are independent; the same element of two masks reads
// two different table entries unless their offsets coincide (chance 1/T). Random kernels
// (onnxruntime's Dropout, RandomUniform) were not used: their state lives in the session, so
// a resumed run could not replay a step, and CPU and CUDA draw differently. Drawing the
// 1.1 M bits of a seed-model step in JavaScript instead took ~20 ms, more than the step.
import { inferFacts } from '../../pipeline/lib/onnx/infer/facts.ts';
import { Pcg32 } from '../../pipeline/lib/util/prng.ts';
import { GraphBuilder, attr } from '../../pipeline/lib/onnx/builder.ts';
import { DataType, type Graph, type ValueInfo } from '../../pipeline/lib/onnx/ir.ts';
import { constantValues, replaceNodes } from '../../pipeline/lib/sgld/optimize.ts';
import { MaskRng } from '../../pipeline/lib/tfjs/rng.ts';

/** Masks are windows of a table at least this long, and at least this many masks long. */
const MIN_TABLE = 2 ** 24;
const TABLE_MASKS = 64;
/** The offset stream of step s is PCG32 stream 2^32 + s: apart from the batch streams (s). */
const OFFSET_STREAM_BASE = 2n ** 32n;
/** Seeds the table's generator apart from tfjs' per-step mask streams (seed·2^20 + step). */
const TABLE_SEED_SALT = 0x7ab1e;

export interface DropoutPlan {
  /** Elements of each site's mask, in graph order. */
  sizes: number[];
  ratio: number;
  tableSize: number;
}

export function tableSizeFor(sizes: readonly number[]): number {
  return Math.max(MIN_TABLE, TABLE_MASKS * Math.max(0, ...sizes));
}

/** The run's keep bits. */
export function keepTable(seed: number, plan: DropoutPlan): Uint8Array {
  return new MaskRng(seed * 2 ** 20 + TABLE_SEED_SALT).keepBits(plan.tableSize, plan.ratio);
}

/** Window offsets [steps, sites] for steps first .. first + steps − 1 (int64). */
export function maskOffsets(seed: number, first: number, steps: number, plan: DropoutPlan): BigInt64Array {
  const out = new BigInt64Array(steps * plan.sizes.length);
  for (let k = 0; k < steps; k++) {
    const rng = new Pcg32(seed, OFFSET_STREAM_BASE + BigInt(first + k));
    plan.sizes.forEach((size, j) => (out[k * plan.sizes.length + j] = BigInt(rng.below(plan.tableSize - size + 1))));
  }
  return out;
}

export interface TableDropoutValues {
  /** The scaled keep table [T] (float: 0 or 1/(1 − p)), read from the enclosing scope. */
  table: string;
  /** This step's offsets [sites] (int64). */
  offsets: string;
}

/**
 * Replaces every training-mode Dropout of `graph` (in node order: site 0, 1, …) by a
 * multiplication with its table window. Dropout inputs need static shapes. Returns the
 * graph and the plan its feeds must follow; a graph without training-mode Dropout comes
 * back unchanged with no sites.
 */
export function tableDropout(graph: Graph, opset: number, outer: ValueInfo[], values: TableDropoutValues): { graph: Graph; sizes: number[]; ratio: number } {
  const facts = inferFacts(graph, opset, outer);
  const constants = constantValues(graph);
  const constantValue = (name: string | undefined): number | undefined => (name ? constants.get(name)?.[0] : undefined);
  const sizes: number[] = [];
  const ratios = new Set<number>();
  const rewritten = replaceNodes(graph, 'dropout/', (node, b: GraphBuilder) => {
    if (node.opType !== 'Dropout' || !node.inputs[2]) return false;
    const where = `Dropout node "${node.name}"`;
    const training = constantValue(node.inputs[2]);
    if (training === undefined) throw new Error(`table dropout: ${where} needs a constant training_mode`);
    if (training === 0) return false;
    if (node.outputs.slice(1).some((o) => o !== '')) throw new Error(`table dropout: ${where} has its mask output read`);
    const ratio = node.inputs[1] ? constantValue(node.inputs[1]) : 0.5;
    if (ratio === undefined) throw new Error(`table dropout: ${where} needs a constant ratio`);
    const shape = facts.get(node.inputs[0]!)?.shape;
    if (!shape?.every((d): d is number => typeof d === 'number')) throw new Error(`table dropout: ${where} has input shape [${shape ?? '?'}], which is not static`);
    const size = shape.reduce((a, d) => a * d, 1);
    const site = sizes.length;
    sizes.push(size);
    ratios.add(ratio);
    const start = b.op('Slice', [values.offsets, b.ints([site]), b.ints([site + 1])]);
    const window = b.op('Slice', [values.table, start, b.op('Add', [start, b.ints([size])]), b.ints([0])]);
    b.op('Mul', [node.inputs[0]!, b.op('Reshape', [window, b.ints(shape)])], {}, { outputs: [node.outputs[0]!] });
    return true;
  });
  if (ratios.size > 1) throw new Error(`table dropout: the sites use different ratios (${[...ratios].join(', ')}); one table serves one ratio`);
  return { graph: rewritten, sizes, ratio: ratios.values().next().value ?? 0 };
}

/**
 * The scaled keep table as the value `name` of the enclosing graph: keep bits (1 byte each
 * in the model) cast and scaled by 1/(1 − p) once — onnxruntime folds it at session start —
 * so a step only slices it.
 */
export function tableConstant(g: GraphBuilder, name: string, bits: Uint8Array, ratio: number): void {
  const table = g.op('Constant', [], { value: attr.tensor({ dataType: DataType.BOOL, dims: [bits.length], data: bits }) });
  const keep = g.op('Cast', [table], { to: attr.int(DataType.FLOAT) });
  g.op('Mul', [keep, g.scalar(1 / (1 - ratio))], {}, { outputs: [g.reserve(name)] });
}
