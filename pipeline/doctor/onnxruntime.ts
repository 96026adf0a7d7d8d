// `pipeline doctor`'s onnxruntime half: whether the CPU and CUDA execution providers run a
// model here — the probe that `auto` device choice uses — and for CUDA why not (no provider
// installed, libraries it cannot find, no NVIDIA driver) and the command that fixes it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Device } from '../lib/onnx/ort.ts';
import { cudaProviderPath, probeProvider } from '../lib/sgld/device.ts';
import { shorten, type Check, type Fix } from './check.ts';

export type NvidiaDriver = { found: true; version: string; cuda: string } | { found: false; why: string };

const CUDA12: Fix = { command: 'npm run cuda12', note: "for CUDA 12: onnxruntime-node's own installer downloads its CUDA provider from nuget.org" };
const CUDA13: Fix = {
  command: 'npm run cuda13',
  note: 'for CUDA 13: copies the CUDA provider of the npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 (the same onnxruntime 1.29.0)',
};

/** The NVIDIA driver and the newest CUDA it runs, as nvidia-smi reports them, or why there is none. */
export function nvidiaDriver(): NvidiaDriver {
  let out: string;
  try {
    out = execFileSync('nvidia-smi', { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    return { found: false, why: err.code === 'ENOENT' ? 'nvidia-smi is not on PATH' : `nvidia-smi fails: ${shorten(err.stderr || err.message)}` };
  }
  const version = /Driver Version:\s*([\d.]+)/.exec(out)?.[1];
  const cuda = /CUDA Version:\s*([\d.]+)/.exec(out)?.[1];
  return version && cuda ? { found: true, version, cuda } : { found: false, why: 'nvidia-smi names no driver or CUDA version' };
}

export async function providerChecks(driver: NvidiaDriver): Promise<Check[]> {
  return [await providerCheck('cpu', driver), await providerCheck('cuda', driver)];
}

async function providerCheck(device: Device, driver: NvidiaDriver): Promise<Check> {
  try {
    await probeProvider(device);
    return { name: device, loads: true, fixes: [] };
  } catch (e) {
    const error = shorten((e as Error).message);
    if (device === 'cpu') return { name: device, loads: false, why: error, fixes: [{ command: 'npm ci', note: 'reinstalls onnxruntime-node, which carries the CPU provider' }] };
    return { name: device, loads: false, ...cudaDiagnosis(error, driver) };
  }
}

function cudaDiagnosis(error: string, driver: NvidiaDriver): { why: string; fixes: Fix[] } {
  // The npm scripts fetch linux-x64 builds, the only CUDA provider onnxruntime-node has on Linux.
  if (`${process.platform}/${process.arch}` !== 'linux/x64') return { why: `${error}; npm run cuda12 / cuda13 install a CUDA provider for linux x64 only`, fixes: [] };
  const noDriver = driver.found ? '' : `; this machine has no NVIDIA driver (${driver.why})`;
  // A driver older than CUDA 13 cannot run the CUDA 13 provider.
  const install = driver.found && Number.parseFloat(driver.cuda) < 13 ? [CUDA12] : [CUDA12, CUDA13];
  if (!existsSync(cudaProviderPath())) return { why: error + noDriver, fixes: install };
  const missing = missingLibraries(cudaProviderPath());
  if (missing.length === 0) {
    // It finds its libraries but still fails: most likely a provider built for another CUDA.
    return { why: error + noDriver, fixes: driver.found ? install : [] };
  }
  const why = `the CUDA execution provider is installed but cannot load: ${missing.join(', ')} not found${noDriver}`;
  // Without a driver there is no libcuda.so.1 to point at.
  if (!driver.found && missing.includes('libcuda.so.1')) return { why, fixes: [] };
  return {
    why,
    fixes: [
      {
        command: 'export LD_LIBRARY_PATH=<folders>:$LD_LIBRARY_PATH',
        note: `<folders>: where ${missing.join(', ')} are, e.g. /usr/local/cuda-13.0/targets/x86_64-linux/lib or the lib folders of pip's nvidia-* packages`,
      },
    ],
  };
}

/** Shared libraries `lib` needs that the dynamic loader does not find (on LD_LIBRARY_PATH and the system paths). */
function missingLibraries(lib: string): string[] {
  try {
    const out = execFileSync('ldd', [lib], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return [...out.matchAll(/^\s*(\S+) => not found$/gm)].map((m) => m[1]!);
  } catch {
    return [];
  }
}
