// Which engine trains: `train.engine` tfjs or onnxruntime, or auto — tfjs where a native
// tfjs backend (tfjs-node-gpu, tfjs-node) starts or a tfjs backend is named in
// `train.backend`, onnxruntime otherwise (on `train.device`: CUDA where its provider loads,
// else CPU). tfjs-node-gpu needs CUDA 11 and libtensorflow, so current GPUs and machines
// without libtensorflow train in onnxruntime, ~6× faster than tfjs-wasm on this CPU (npm run bench).
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import type { Config } from '../../schemas/config.ts';
import { subnormalsFlushed, type Device } from '../../pipeline/lib/onnx/ort.ts';
import { resolveDevice } from '../../pipeline/lib/sgld/device.ts';
import { NATIVE_BACKENDS, initBackend, startFirst, type BackendInfo } from '../../pipeline/lib/tfjs/backend.ts';
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

/** What trains under `c`: the engine with its tfjs backend (started) or onnxruntime device,
 * and why. `pipeline doctor` reports it without training. */
export type TrainRuntime =
  | { engine: 'tfjs'; backend: BackendInfo; reason: string }
  | { engine: 'onnxruntime'; device: Device; reason: string };

export async function chooseTrainRuntime(c: Pick<Config['train'], 'engine' | 'backend' | 'device'>): Promise<TrainRuntime> {
  if (c.engine === 'tfjs') return { engine: 'tfjs', backend: await initBackend(c.backend), reason: 'train.engine = tfjs' };
  if (c.engine === 'onnxruntime' && c.backend !== 'auto') {
    throw new Error(`train.backend = ${c.backend} names a tfjs backend, but train.engine = onnxruntime; set train.backend=auto or train.engine=tfjs`);
  }
  if (c.engine === 'auto') {
    if (c.backend !== 'auto') return { engine: 'tfjs', backend: await initBackend(c.backend), reason: `auto: train.backend = ${c.backend} asks for tfjs` };
    const native = await startFirst(NATIVE_BACKENDS, 'native').catch(() => undefined);
    if (native) return { engine: 'tfjs', backend: native, reason: 'auto: a native tfjs backend starts' };
  }
  const device = await resolveDevice(c.device);
  const why = c.engine === 'auto' ? 'auto: no native tfjs backend starts here (tfjs-node needs libtensorflow)' : 'train.engine = onnxruntime';
  return { engine: 'onnxruntime', device: device.device, reason: `${why}; onnxruntime on ${device.device} (${device.reason})` };
}

export async function openEngine(c: Config['train'], setup: TrainSetup): Promise<OpenedEngine> {
  const chosen = await chooseTrainRuntime(c);
  const opened: OpenedEngine =
    chosen.engine === 'tfjs'
      ? tfjsEngine(setup, chosen.backend, chosen.reason)
      : {
          engine: await OrtEngine.open(setup, { device: chosen.device, threads: c.threads, stepsPerRun: ORT_STEPS_PER_RUN }),
          reason: `${chosen.reason}, ${c.threads} thread${c.threads === 1 ? '' : 's'}`,
          runtime: { engine: 'onnxruntime', device: chosen.device },
          tools: { 'onnxruntime-node': ort.env.versions.common ?? 'unknown' },
        };
  // Subnormals flushed on this thread (onnx/ort.ts): where the tfjs engine opened no session,
  // this check's session is the one that sets the flags, before the first step.
  const flushed = await subnormalsFlushed();
  opened.runtime.subnormals = flushed.inputs && flushed.outputs ? 'flushed to zero' : 'kept';
  return opened;
}
