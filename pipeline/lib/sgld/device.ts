// The sampler's device: `cpu`, `cuda` (which fails loudly where its provider does not
// load), or `auto` — cuda when its provider loads here, else cpu; the caller prints which.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GraphBuilder, modelOf } from '../onnx/builder.ts';
import { DataType } from '../onnx/ir.ts';
import { createSession, type Device } from '../onnx/ort.ts';

export type DeviceChoice = Device | 'auto';

export interface ResolvedDevice {
  device: Device;
  /** Why this device, for the log. */
  reason: string;
}

export async function resolveDevice(choice: DeviceChoice): Promise<ResolvedDevice> {
  if (choice !== 'auto') return { device: choice, reason: `asked for ${choice}` };
  try {
    await probeProvider('cuda');
    return { device: 'cuda', reason: 'auto: the CUDA execution provider loads' };
  } catch (e) {
    return { device: 'cpu', reason: `auto: ${(e as Error).message}` };
  }
}

/** Resolves when `device`'s execution provider runs a model here; rejects saying why not. */
export async function probeProvider(device: Device): Promise<void> {
  // Without the provider library there is nothing to try (and a failed try logs an error).
  if (device === 'cuda' && !existsSync(cudaProviderPath())) throw new Error('no CUDA execution provider is installed next to libonnxruntime');
  try {
    const session = await createSession(probeModel(), { device });
    await session.release();
  } catch (e) {
    if (device === 'cpu') throw e;
    throw new Error(`the CUDA execution provider is installed but does not load (${(e as Error).message})`);
  }
}

/** Where onnxruntime-node looks for its CUDA provider on this platform: next to libonnxruntime. */
export function cudaProviderPath(): string {
  const main = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
}

/** The smallest model a provider must run: y = Identity(x). */
function probeModel() {
  const g = new GraphBuilder('probe');
  g.input('x', DataType.FLOAT, [1]);
  g.op('Identity', ['x'], {}, { outputs: ['y'] });
  g.output('y', DataType.FLOAT, [1]);
  return modelOf(g.build());
}
