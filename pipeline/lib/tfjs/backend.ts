// Picks the tfjs backend: the best available (tfjs-node-gpu, tfjs-node, wasm, cpu) or the one
// asked for. tfjs silently stays on another backend when one fails to start (FACTS.md), so
// the backend actually running is checked and reported for the manifest.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's gradients live outside its Node bundle (the @tensorflow/tfjs umbrella package
// registers them). This file is ESM with extension-less imports: it loads under tsx, which
// is how this project runs; the registry is global, so it serves the bundle we use.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';

export type BackendChoice = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = Exclude<BackendChoice, 'auto'>;

export interface BackendInfo {
  name: BackendName;
  /** Version of the package that provides the backend. */
  version: string;
}

/** Every backend, fastest first: the order `auto` tries them in. */
export const PREFERENCE: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** Starts one backend; resolves to its version, rejects when it is unavailable. */
export async function startBackend(name: BackendName): Promise<string> {
  switch (name) {
    case 'tensorflow-gpu':
      return startNode('@tensorflow/tfjs-node-gpu');
    case 'tensorflow':
      return startNode('@tensorflow/tfjs-node');
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // In Node the .wasm binaries are read from the package's dist folder.
      const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
      wasm.setWasmPaths(join(dirname(pkg), 'dist') + '/');
      await activate('wasm');
      return wasm.version_wasm;
    }
    case 'cpu': {
      const cpu = await import('@tensorflow/tfjs-backend-cpu');
      await activate('cpu');
      return cpu.version_cpu;
    }
  }
}

/** tfjs-node and tfjs-node-gpu are optional dependencies (they need libtensorflow at install)
 * and both register a backend named "tensorflow". */
async function startNode(pkg: string): Promise<string> {
  const specifier = pkg; // a variable keeps TypeScript from requiring the optional package
  const mod = (await import(specifier)) as { version?: Record<string, string> };
  await activate('tensorflow');
  return mod.version?.['tfjs-node'] ?? tf.version_core;
}

async function activate(backend: string): Promise<void> {
  const ok = await tf.setBackend(backend);
  await tf.ready();
  if (!ok || tf.getBackend() !== backend) {
    throw new Error(`tf.setBackend('${backend}') left tfjs on "${tf.getBackend()}"`);
  }
}

/** Backends that run tfjs natively (libtensorflow), as opposed to wasm or plain JavaScript. */
export const NATIVE_BACKENDS: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow'];

/** Starts the first of `candidates` that starts; rejects saying why each failed. */
export async function startFirst(candidates: readonly BackendName[], what: string): Promise<BackendInfo> {
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      return { name, version: await startBackend(name) };
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no tfjs backend could start (${what}):\n  ${failures.join('\n  ')}`);
}

/** Sets the tfjs backend; 'auto' takes the first that starts, in order of speed. */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (choice !== 'auto' && !PREFERENCE.includes(choice)) throw new Error(`unknown tfjs backend "${choice}" (use auto, ${PREFERENCE.join(', ')})`);
  return startFirst(choice === 'auto' ? PREFERENCE : [choice], choice);
}
