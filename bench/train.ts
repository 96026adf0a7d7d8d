// Training speed: ms per step (forward, backward, Adam) of the seed model at batch 256, per
// tfjs backend that can start here. Each backend runs in its own child process so a failed
// start cannot leave tfjs on another backend.
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
const BATCH = 256;

async function measure(backend: string): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  const { initBackend } = await import('../stages/tfjs/backend.ts');
  const { SEED_MODEL_CONFIG, seedParameters } = await import('../stages/model/config.ts');
  const { initialWeights } = await import('../stages/train/init.ts');
  const { Trainer } = await import('../stages/train/trainer.ts');
  const { Pcg32 } = await import('../stages/lib/prng.ts');
  const info = await initBackend(backend as Parameters<typeof initBackend>[0]);
  const cfg = SEED_MODEL_CONFIG;
  const trainer = new Trainer(cfg, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 }, { weights: initialWeights(seedParameters(cfg), 0) });
  const rng = new Pcg32(1);
  const tokens = tf.tensor2d(Int32Array.from({ length: BATCH * cfg.seqLen }, () => rng.below(cfg.vocab)), [BATCH, cfg.seqLen], 'int32');
  const targets = tf.randomUniform([BATCH, cfg.seqLen]);
  const warmup = 3;
  const steps = backend === 'cpu' ? 4 : 20;
  for (let i = 0; i < warmup; i++) trainer.trainStep(tokens, targets, i);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) trainer.trainStep(tokens, targets, warmup + i);
  const ms = (performance.now() - t0) / steps;
  process.stdout.write(JSON.stringify({ backend: info.name, version: info.version, batch: BATCH, ms_per_step: ms, steps }) + '\n');
}

export async function benchTrain(): Promise<void> {
  process.stdout.write(`\ntraining, seed model, batch ${BATCH}, dropout ${0.1} (ms per step: forward + backward + Adam)\n`);
  process.stdout.write(`  ${'backend'.padEnd(16)}${'batch'.padStart(6)}${'ms/step'.padStart(10)}\n`);
  for (const backend of BACKENDS) {
    const r = await execa(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), backend], { reject: false });
    if (r.exitCode === 0) {
      const m = JSON.parse(String(r.stdout).trim().split('\n').pop()!);
      process.stdout.write(`  ${backend.padEnd(16)}${String(m.batch).padStart(6)}${m.ms_per_step.toFixed(1).padStart(10)}\n`);
    } else {
      const why = String(r.stderr).split('\n').find((l) => l.includes(backend + ':')) ?? String(r.stderr).split('\n')[0];
      process.stdout.write(`  ${backend.padEnd(16)} not available here (${why?.trim()})\n`);
    }
  }
}

if (process.argv[2] && process.argv[1] === fileURLToPath(import.meta.url)) await measure(process.argv[2]);
