// Training speed: ms per step (forward, backward, Adam; batch 256, dropout 0.1) of the seed
// model for every engine that starts here, side by side — tfjs on each of its backends and
// onnxruntime at 1 and 2 intra-op threads (or on CUDA). Each runs in its own child process,
// so a failed start cannot leave tfjs on another backend and threads do not mix.
// PyTorch 2.13 on this 2-core CPU: 35–38 ms/step with 1 thread, 27 with 2 (FACTS.md).
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import type { Device } from '../pipeline/lib/onnx/ort.ts';

const BATCH = 256;
const DROPOUT = 0.1;

interface Case {
  label: string;
  engine: 'tfjs' | 'onnxruntime';
  /** tfjs backend, or onnxruntime `<device>:<threads>`. */
  arg: string;
  steps: number;
}

function cases(device: Device): Case[] {
  const tfjs = (['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const).map((b) => ({ label: `tfjs ${b}`, engine: 'tfjs' as const, arg: b, steps: b === 'cpu' ? 4 : 20 }));
  const ort = (device === 'cuda' ? [1] : [1, 2]).map((t) => ({ label: `onnxruntime ${device} ×${t}`, engine: 'onnxruntime' as const, arg: `${device}:${t}`, steps: 100 }));
  return [...tfjs, ...ort];
}

async function measure(engine: Case['engine'], arg: string, steps: number): Promise<void> {
  const { benchSetup } = await import('./setup.ts');
  const setup = benchSetup({ dropout: DROPOUT, batch: BATCH });
  let trainer;
  if (engine === 'tfjs') {
    const { initBackend } = await import('../pipeline/lib/tfjs/backend.ts');
    const { TfjsEngine } = await import('../stages/train/tfjs-engine.ts');
    trainer = new TfjsEngine(setup, (await initBackend(arg as Parameters<typeof initBackend>[0])).name);
  } else {
    const { OrtEngine } = await import('../stages/train/ort-engine.ts');
    const { ORT_STEPS_PER_RUN } = await import('../stages/train/open-engine.ts');
    const [device, threads] = arg.split(':');
    trainer = await OrtEngine.open(setup, { device: device as Device, threads: Number(threads), stepsPerRun: ORT_STEPS_PER_RUN });
  }
  await trainer.train(engine === 'tfjs' ? 3 : 25); // warm-up
  const t0 = performance.now();
  await trainer.train(steps);
  const ms = (performance.now() - t0) / steps;
  process.stdout.write(JSON.stringify({ ms_per_step: ms, steps }) + '\n');
  await trainer.dispose();
}

export async function benchTrain(device: Device): Promise<void> {
  process.stdout.write(`\ntraining, seed model, batch ${BATCH}, dropout ${DROPOUT} (ms per step: forward + backward + Adam)\n`);
  process.stdout.write(`  ${'engine'.padEnd(24)}${'steps'.padStart(6)}${'ms/step'.padStart(10)}\n`);
  for (const c of cases(device)) {
    const r = await execa(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), c.engine, c.arg, String(c.steps)], { reject: false });
    if (r.exitCode === 0) {
      const m = JSON.parse(String(r.stdout).trim().split('\n').pop()!);
      process.stdout.write(`  ${c.label.padEnd(24)}${String(m.steps).padStart(6)}${m.ms_per_step.toFixed(1).padStart(10)}\n`);
    } else {
      const lines = String(r.stderr).split('\n');
      const why = lines.find((l) => l.includes(`${c.arg}:`) || l.includes('onnxruntime:')) ?? lines[0];
      process.stdout.write(`  ${c.label.padEnd(24)} not available here (${why?.trim()})\n`);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) {
  await measure(process.argv[2] as Case['engine'], process.argv[3]!, Number(process.argv[4]));
}
