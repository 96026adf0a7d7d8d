// The sampling stages' shards (plan.ts) on this machine's cores: up to `processes` child
// processes (process-child.ts), each running one shard at a time as a queue worker would,
// fed over an IPC channel instead of Redis. Every shard's session sees the inputs it would
// see in-process, so the merged results are the same bits whatever the number of processes.
// onnxruntime's session.run blocks its thread, so one process samples on one core; two
// 1-thread processes on two cores sample 1.8–2× as fast as one (bench/sgld.ts), where one
// session with two intra-op threads managed ~1.3×.
import { fork, type ChildProcess } from 'node:child_process';
import type { Device } from '../onnx/ort.ts';
import { scheduleOf, type LlcSettings, type StartPoint } from '../sgld/estimate-llc.ts';
import { checkSchedule } from '../sgld/draw-schedule.ts';
import type { SgldModel } from '../sgld/sampled-model.ts';
import type { Dataset } from '../sgld/sessions.ts';
import { sha256 } from '../util/hash.ts';
import { mergeSampling, planSamplingShards, type MergedSampling } from './plan.ts';
import { CHILD_SCRIPT, type FromChild, type ToChild } from './process-child.ts';
import type { Shard, ShardResult } from './shards.ts';

const TSX = import.meta.resolve('tsx');

export interface LocalSampling extends MergedSampling {
  shards: number;
  processes: number;
}

/** runLlc's results, its shards run by up to `processes` child processes on `device`. */
export async function runLlcOnProcesses(
  model: SgldModel,
  points: readonly StartPoint[],
  data: Dataset,
  s: LlcSettings,
  processes: number,
  device: Device,
  onProgress: (chainSteps: number) => void,
): Promise<LocalSampling> {
  checkSchedule(scheduleOf(s));
  const blobs = new Map<string, Uint8Array>();
  const shards = await planSamplingShards('local', model, points, data, s, async (bytes) => {
    const hash = sha256(bytes);
    blobs.set(hash, bytes);
    return hash;
  });
  const n = Math.min(processes, shards.length);
  const results = await runShards(shards, [...blobs], n, device, onProgress);
  return { ...mergeSampling(points, results, s), shards: shards.length, processes: n };
}

/** Every shard's result, in shard order; the first failure stops every process and throws. */
function runShards(shards: readonly Shard[], blobs: [string, Uint8Array][], n: number, device: Device, onProgress: (units: number) => void): Promise<ShardResult[]> {
  return new Promise((resolve, reject) => {
    const results: ShardResult[] = [];
    const children: ChildProcess[] = [];
    let next = 0;
    let finished = 0;
    let over = false;
    const end = (error?: Error) => {
      if (over) return;
      over = true;
      for (const c of children) c.kill();
      if (error) reject(error);
      else resolve(results);
    };
    for (let i = 0; i < n; i++) {
      const name = `sampling process ${i + 1} of ${n}`;
      /** The shard this process is running. */
      let holding: number | undefined;
      const child = fork(CHILD_SCRIPT, [], { execArgv: ['--import', TSX], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      const give = () => {
        if (next >= shards.length) return child.disconnect();
        holding = next++;
        child.send({ kind: 'shard', index: holding, shard: shards[holding]! } satisfies ToChild);
      };
      child.on('message', (m: FromChild) => {
        if (over) return;
        if (m.kind === 'progress') return onProgress(m.units);
        if (m.kind === 'failed') return end(new Error(`${name}, shard ${shards[m.index]!.id}: ${m.message}`));
        results[m.index] = m.result;
        holding = undefined;
        if (++finished === shards.length) return end();
        give();
      });
      child.on('error', (e) => end(new Error(`${name}: ${e.message}`)));
      child.on('exit', (code, signal) => {
        if (holding !== undefined || code !== 0) end(new Error(`${name} exited (${signal ?? `code ${code}`})${holding !== undefined ? ` while running shard ${shards[holding]!.id}` : ''}`));
      });
      child.send({ kind: 'start', device, label: `process ${i + 1}`, blobs } satisfies ToChild);
      give();
    }
  });
}
