// Stage `train`: the seed model trained from the generate stage's training split once per
// seed of train.seeds, one after another (or as jobs on a queue, pipeline/lib/queue), by the
// tfjs or the onnxruntime engine (open-engine.ts); per seed its checkpoints, metrics and Adam
// state under seed-<s>/ (train-seed.ts), and resume after an interruption.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { splitFromTensors } from '../../schemas/dataset.ts';
import { checkpointSteps, type ModelConfigFile } from '../../schemas/training.ts';
import { VOCAB_SIZE } from '../generate/dataset.ts';
import { Progress } from '../../pipeline/lib/util/progress.ts';
import type { StageContext } from '../../pipeline/lib/stage/context.ts';
import { runStage } from '../../pipeline/lib/stage/run-stage.ts';
import type { SeedModelConfig } from '../../pipeline/lib/model/config.ts';
import { trainSeed, type SeedFiles, type SeedRunResult } from './train-seed.ts';

function modelConfigOf(c: StageContext<'train'>['config']['train'], seqLen: number): SeedModelConfig {
  return { vocab: VOCAB_SIZE, seqLen, dModel: c.d_model, heads: c.n_heads, dFF: c.d_ff, layers: c.n_layers, dropout: c.dropout, layerNormEps: 1e-5 };
}

/** The stage folder (its .partial while it runs) as a seed's file store. */
function stageFiles(ctx: StageContext<'train'>): SeedFiles {
  return {
    read: (file) => (existsSync(ctx.out(file)) ? readFileSync(ctx.out(file)) : undefined),
    write: (file, bytes) => ctx.writeText(file, bytes),
    remove: (file) => rmSync(ctx.out(file), { recursive: true, force: true }),
  };
}

await runStage(
  'train',
  async (ctx) => {
    const c = ctx.config.train;
    const train = splitFromTensors(ctx.readSafetensorsInput('generate', 'train.safetensors'), 'generate/train.safetensors');
    const test = splitFromTensors(ctx.readSafetensorsInput('generate', 'test.safetensors'), 'generate/test.safetensors');
    if (c.batch_size > train.n) throw new Error(`train.batch_size = ${c.batch_size} exceeds the ${train.n} training samples`);
    const cfg = modelConfigOf(c, train.seqLen);
    ctx.writeJson('model.json', { schema: 'llc-pipeline/model-config', schema_version: 1, ...cfg } satisfies ModelConfigFile);

    const progress = new Progress('train', c.seeds.length * c.steps);
    const files = stageFiles(ctx);
    const results: SeedRunResult[] = [];
    for (const [k, seed] of c.seeds.entries()) {
      const r = await trainSeed({
        config: c,
        cfg,
        train,
        test,
        inputs: ctx.inputs,
        seed,
        files,
        log: (m) => ctx.log(m),
        progress: (step, info) => progress.update(k * c.steps + step, `seed ${seed} ${info}`),
      });
      if (k === 0) ctx.log(`engine: ${r.engine} — ${r.reason}`);
      if (r.runtime.subnormals !== 'flushed to zero') {
        ctx.log('warning: subnormal floats are not flushed to zero on this thread; on CPUs that penalise them training slows as they appear (docs/subnormals.md)');
      }
      results.push(r);
    }
    const steps = checkpointSteps(c.steps, c.checkpoint_every, c.log_checkpoints);
    const tail = c.steps - (steps.at(-1) ?? 0);
    if (tail > 0) ctx.log(`note: the last ${tail} steps of each seed come after its last checkpoint`);
    const first = results[0]!;
    Object.assign(ctx.runtime, first.runtime, { engine_reason: first.reason });
    Object.assign(ctx.tools, first.tools);
    ctx.results.steps = c.steps;
    ctx.results.seeds = c.seeds;
    ctx.results.checkpoint_steps = steps;
    ctx.results.per_seed = results.map(({ runtime: _r, tools: _t, reason: _why, ...r }) => r);
  },
  { resumable: true },
);
