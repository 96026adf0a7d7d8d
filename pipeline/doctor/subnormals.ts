// `pipeline doctor`'s subnormal probe: whether this CPU penalises arithmetic on subnormal
// floats, and whether this process flushes them (docs/subnormals.md). The penalty is timed in
// a child process that keeps subnormals (PIPELINE_SUBNORMALS=keep; the flags are per process):
// a 256×256 MatMul on normal inputs, then on subnormal ones, ~100 ms in all.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GraphBuilder, modelOf } from '../lib/onnx/builder.ts';
import { DataType, type TensorValue } from '../lib/onnx/ir.ts';
import { SUBNORMALS_ENV, createSession, runSession, subnormalsFlushed } from '../lib/onnx/ort.ts';
import { median } from '../lib/util/moments.ts';

/** A subnormal/normal time ratio above this is a penalty worth naming (Intel: ~90×). */
export const PENALTY_RATIO = 3;

export interface SubnormalReport {
  /** Median ms of one MatMul with normal and with subnormal inputs, subnormals kept. */
  normal_ms: number;
  subnormal_ms: number;
  penalised: boolean;
  /** Whether sessions in this process flush them, read off values. */
  flushed: boolean;
}

const N = 256;

async function timeMatMul(): Promise<{ normal_ms: number; subnormal_ms: number }> {
  const g = new GraphBuilder('subnormal_penalty');
  g.input('x', DataType.FLOAT, [N, N]);
  g.input('w', DataType.FLOAT, [N, N]);
  g.op('MatMul', ['x', 'w'], {}, { outputs: ['y'] });
  g.output('y', DataType.FLOAT, [N, N]);
  const session = await createSession(modelOf(g.build()));
  const feed = (x: number): Record<string, TensorValue> => ({
    x: { dataType: DataType.FLOAT, dims: [N, N], data: new Float32Array(N * N).fill(x) },
    w: { dataType: DataType.FLOAT, dims: [N, N], data: new Float32Array(N * N).fill(0.5) },
  });
  // Median of a few runs, stopping early where one run is slow, so the probe stays short.
  const medianMs = async (feeds: Record<string, TensorValue>) => {
    await runSession(session, feeds);
    const times: number[] = [];
    for (let spent = 0; times.length < 5 && spent < 60; ) {
      const t = performance.now();
      await runSession(session, feeds);
      times.push(performance.now() - t);
      spent += times[times.length - 1]!;
    }
    return median(times);
  };
  const result = { normal_ms: await medianMs(feed(0.3)), subnormal_ms: await medianMs(feed(1e-39)) };
  await session.release();
  return result;
}

export async function subnormalReport(): Promise<SubnormalReport> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--time'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, [SUBNORMALS_ENV]: 'keep' },
  });
  const timed = JSON.parse(out.trim().split('\n').pop()!) as { normal_ms: number; subnormal_ms: number };
  const flushed = await subnormalsFlushed();
  return { ...timed, penalised: timed.subnormal_ms > PENALTY_RATIO * timed.normal_ms, flushed: flushed.inputs && flushed.outputs };
}

/** The doctor's line. */
export function subnormalLine(r: SubnormalReport): string {
  const times = `a 256×256 MatMul takes ${r.normal_ms.toFixed(2)} ms on normal inputs, ${r.subnormal_ms.toFixed(2)} ms on subnormal ones`;
  const verdict = r.penalised ? `this CPU penalises subnormal floats (${(r.subnormal_ms / r.normal_ms).toFixed(0)}×)` : 'this CPU does not penalise subnormal floats';
  const flush = r.flushed ? 'onnxruntime sessions here flush them to zero' : 'NOT flushed to zero here: training can slow as they appear (docs/subnormals.md)';
  return `${verdict}: ${times}; ${flush}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--time') {
  process.stdout.write(JSON.stringify(await timeMatMul()) + '\n');
}
