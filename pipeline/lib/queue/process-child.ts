// A local sampling process (processes.ts): takes shards over its IPC channel and runs each as
// a queue worker would (shard-runner.ts), with the inputs the parent sent. It computes in
// its own process so that its first onnxruntime session sets its thread's subnormal flags,
// as in-process sampling does, and exits when the parent goes away.
import { fileURLToPath } from 'node:url';
import type { Device } from '../onnx/ort.ts';
import type { BlobSource } from './blobs.ts';
import { runShard } from './shard-runner.ts';
import type { Shard, ShardResult } from './shards.ts';

/** This file, which processes.ts starts. */
export const CHILD_SCRIPT = fileURLToPath(import.meta.url);

export type ToChild = { kind: 'start'; device: Device; label: string; blobs: [string, Uint8Array][] } | { kind: 'shard'; index: number; shard: Shard };
export type FromChild = { kind: 'progress'; units: number } | { kind: 'done'; index: number; result: ShardResult } | { kind: 'failed'; index: number; message: string };

function serve(): void {
  const send = (m: FromChild) => process.send!(m);
  /** What the start message gave: the device, this process's label and its inputs. */
  let setup: { device: Device; label: string; source: BlobSource } | undefined;
  // One shard at a time: the parent sends the next when this one is done.
  process.on('message', (m: ToChild) => {
    if (m.kind === 'start') {
      const blobs = new Map(m.blobs.map(([hash, bytes]) => [hash, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]));
      const source: BlobSource = {
        get: async (hash) => {
          const bytes = blobs.get(hash);
          if (!bytes) throw new Error(`input ${hash.slice(0, 12)}… was not sent to this process`);
          return bytes;
        },
      };
      setup = { device: m.device, label: m.label, source };
      return;
    }
    if (!setup) throw new Error('a shard came before the start message');
    runShard(m.shard, setup.source, setup.device, setup.label, (units) => send({ kind: 'progress', units })).then(
      (result) => send({ kind: 'done', index: m.index, result }),
      (e: unknown) => send({ kind: 'failed', index: m.index, message: e instanceof Error ? e.message : String(e) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[1] === CHILD_SCRIPT && process.send) serve();
