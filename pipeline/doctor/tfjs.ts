// `pipeline doctor`'s tfjs half: whether each tfjs backend starts here (the start that
// `train.backend=auto` tries, fastest first), and for each that does not, why and the fix.
import { PREFERENCE, startBackend, type BackendName } from '../lib/tfjs/backend.ts';
import { shorten, type Check, type Fix } from './check.ts';

/** The npm package behind each native backend (optional dependencies). */
const NATIVE_PACKAGE: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

export async function backendChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  for (const name of PREFERENCE) {
    try {
      checks.push({ name, loads: true, version: await startBackend(name), fixes: [] });
    } catch (e) {
      checks.push({ name, loads: false, why: shorten((e as Error).message), fixes: backendFixes(name, e as NodeJS.ErrnoException) });
    }
  }
  return checks;
}

function backendFixes(name: BackendName, error: NodeJS.ErrnoException): Fix[] {
  const pkg = NATIVE_PACKAGE[name];
  if (!pkg) return [{ command: 'npm ci', note: `reinstalls @tensorflow/tfjs-backend-${name}, a plain dependency` }];
  const gpu = name === 'tensorflow-gpu' ? "; it runs only on CUDA 11.2 with cuDNN 8.1 (on newer CUDA, onnxruntime's CUDA provider is the GPU path)" : '';
  // npm leaves an optional dependency out when its install script fails, e.g. offline.
  if (error.code === 'ERR_MODULE_NOT_FOUND') {
    return [{ command: 'npm ci', note: `with internet access to storage.googleapis.com: ${pkg}'s install script downloads libtensorflow${gpu}` }];
  }
  return [{ command: `npm rebuild ${pkg}`, note: `reruns its install script, which downloads libtensorflow (needs internet access to storage.googleapis.com)${gpu}` }];
}
