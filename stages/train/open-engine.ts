// Which engine trains: `train.engine` tfjs or onnxruntime, or auto — tfjs where a native
// tfjs backend (tfjs-node-gpu, tfjs-node) starts or a tfjs backend is named in
// `train.backend`, onnxruntime otherwise (on `train.device`: CUDA where its provider loads,
// else CPU). tfjs-node-gpu needs CUDA 11 and libtensorflow, so current GPUs and machines
// without libtensorflow train in onnxruntime, ~6× faster than tfjs-wasm on this CPU (npm run bench).
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import type { Config } from '../../schemas/config.ts';
import { resolveDevice } from '../sgld/device.ts';
import { NATIVE_BACKENDS, initBackend, startFirst, type BackendInfo } from '../tfjs/backend.ts';
import type { TrainEngine, TrainSetup } from './engine.ts';
import { OrtEngine } from './ort-engine.ts';
import { TfjsEngine } from './tfjs-engine.ts';

/** Steps per session.run: long enough to amortise the host round trip, short enough for a
 * live progress bar. */
export const ORT_STEPS_PER_RUN = 25;

export interface OpenedEngine {
  engine: TrainEngine;
  /** Why this engine (and device or backend), for the log and the manifest. */
  reason: string;
  /** For the manifest's runtime: engine, tfjs_backend or device. */
  runtime: Record<string, string>;
  /** Versions of what runs, for the manifest's tools. */
  tools: Record<string, string>;
}

function tfjsEngine(setup: TrainSetup, backend: BackendInfo, reason: string): OpenedEngine {
  return {
    engine: new TfjsEngine(setup, backend.name),
    reason: `${reason}; tfjs backend: ${backend.name} (${backend.version})`,
    runtime: { engine: 'tfjs', tfjs_backend: backend.name },
    tools: { 'tfjs-core': tf.version_core, [`tfjs-backend-${backend.name}`]: backend.version },
  };
}

export async function openEngine(c: Config['train'], setup: TrainSetup): Promise<OpenedEngine> {
  if (c.engine === 'tfjs') return tfjsEngine(setup, await initBackend(c.backend), 'train.engine = tfjs');
  if (c.engine === 'onnxruntime' && c.backend !== 'auto') {
    throw new Error(`train.backend = ${c.backend} names a tfjs backend, but train.engine = onnxruntime; set train.backend=auto or train.engine=tfjs`);
  }
  if (c.engine === 'auto') {
    if (c.backend !== 'auto') return tfjsEngine(setup, await initBackend(c.backend), `auto: train.backend = ${c.backend} asks for tfjs`);
    const native = await startFirst(NATIVE_BACKENDS, 'native').catch(() => undefined);
    if (native) return tfjsEngine(setup, native, 'auto: a native tfjs backend starts');
  }
  const device = await resolveDevice(c.device);
  const why = c.engine === 'auto' ? 'auto: no native tfjs backend starts here (tfjs-node needs libtensorflow)' : 'train.engine = onnxruntime';
  return {
    engine: await OrtEngine.open(setup, { device: device.device, threads: c.threads, stepsPerRun: ORT_STEPS_PER_RUN }),
    reason: `${why}; onnxruntime on ${device.device} (${device.reason}), ${c.threads} thread${c.threads === 1 ? '' : 's'}`,
    runtime: { engine: 'onnxruntime', device: device.device },
    tools: { 'onnxruntime-node': ort.env.versions.common ?? 'unknown' },
  };
}
