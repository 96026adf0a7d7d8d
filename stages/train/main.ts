// Stage `train`: the seed model trained from the generate stage's training split once per
// seed of train.seeds, one after another (or as jobs on a BullMQ queue, one per seed, with
// pipeline run --queue: pipeline/lib/queue), by the
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
import { parseQueueUrl, QUEUE_ENV } from '../../pipeline/lib/queue/connection.ts';

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

type Split = ReturnType<typeof splitFromTensors>;

/** The seeds one after another in this process, resuming an interrupted attempt's. */
async function trainHere(ctx: StageContext<'train'>, cfg: SeedModelConfig, train: Split, test: Split, progress: Progress): Promise<SeedRunResult[]> {
  const c = ctx.config.train;
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
    results.push(r);
  }
  return results;
}

/** The seeds as jobs on the queue (pipeline run --queue): each worker trains one and sends
 * its folder back, which is written here as an in-process run would write it. */
async function trainOnQueueHere(ctx: StageContext<'train'>, url: string, cfg: SeedModelConfig, train: Split, test: Split, progress: Progress): Promise<SeedRunResult[]> {
  const c = ctx.config.train;
  const address = parseQueueUrl(url);
  ctx.log(`training through the queue at ${address.url}: ${c.seeds.length} seeds`);
  let done = 0;
  // Loaded only here, as BullMQ takes a while to load.
  const { trainOnQueue } = await import('../../pipeline/lib/queue/train-head.ts');
  const q = await trainOnQueue(address, cfg, c, train, test, ctx.inputs, (n) => progress.update((done += n)), (m) => ctx.log(m));
  if (c.device !== 'auto' && q.device !== c.device) throw new Error(`train.device is ${c.device} but the workers trained on ${q.device}; start the workers with --device ${c.device}`);
  for (const { files } of q.seeds) for (const [file, bytes] of Object.entries(files)) ctx.writeText(file, bytes);
  ctx.log(`engine: ${q.seeds[0]!.result.engine} on the workers (${q.workers.join(', ')})`);
  ctx.runtime.queue = address.url;
  ctx.runtime.queue_workers = q.workers;
  return q.seeds.map((s) => s.result);
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
    const queue = process.env[QUEUE_ENV];
    const results = queue ? await trainOnQueueHere(ctx, queue, cfg, train, test, progress) : await trainHere(ctx, cfg, train, test, progress);
    for (const r of results) {
      if (r.runtime.subnormals !== 'flushed to zero') {
        ctx.log(`warning: seed ${r.seed}: subnormal floats were not flushed to zero; on CPUs that penalise them training slows as they appear (docs/subnormals.md)`);
      }
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
