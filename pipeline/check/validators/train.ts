// train: model.json agrees with the config; per training seed, one checkpoint per step of
// the checkpoint schedule, each exactly the model's parameters and finite, metrics at every
// evaluation step, and the optimizer state.
import { TrainConfig } from '../../../schemas/config.ts';
import type { Manifest } from '../../../schemas/manifest.ts';
import { CHECKPOINT_PATTERN, Metrics, checkpointName, checkpointSteps, evaluationSteps, metricsName, optimizerName } from '../../../schemas/training.ts';
import type { CheckContext } from '../context.ts';
import { expectParameters } from '../tensors.ts';
import { manifestSection } from './section.ts';
import { expectFiles } from './files.ts';
import { modelOf } from './model.ts';

function checkMetrics(c: CheckContext, seed: number, steps: number, evalEvery: number, checkpoints: readonly number[]): void {
  const want = evaluationSteps(steps, evalEvery, checkpoints);
  const why = `train.steps = ${steps} with eval_every = ${evalEvery} and a checkpoint at ${checkpoints.length} steps gives ${want.length} evaluations`;
  const [json, csv] = [metricsName(seed, 'json'), metricsName(seed, 'csv')];
  expectFiles(c, 'train', c.outputs('train').filter((f) => f.startsWith(`seed-${seed}/metrics.`)), want.length ? [json, csv] : [csv], why);
  const metrics = c.json(`train/${json}`, Metrics);
  if (!metrics) return;
  if (metrics.seed !== seed) c.fail(`train/${json}`, `names seed ${metrics.seed}, expected ${seed}`);
  const got = metrics.rows.map((r) => r.step);
  if (got.join() !== want.join()) c.fail(`train/${json}`, `has rows for steps [${got.join(', ')}], expected [${want.join(', ')}]: ${why}`);
  const text = c.bytes(`train/${csv}`);
  const lines = text && Buffer.from(text).toString('utf8').trim().split('\n');
  if (lines && lines.length !== metrics.rows.length + 1) c.fail(`train/${csv}`, `has ${lines.length - 1} rows, ${json} ${metrics.rows.length}`);
}

export function checkTrain(c: CheckContext, m: Manifest): void {
  const cfg = manifestSection(c, 'train', m, 'train', TrainConfig);
  const model = modelOf(c, 'train/model.json');
  if (cfg && model) {
    const { dModel, heads, dFF, layers, dropout } = model.config;
    const want = { dModel: cfg.d_model, heads: cfg.n_heads, dFF: cfg.d_ff, layers: cfg.n_layers, dropout: cfg.dropout };
    if (JSON.stringify({ dModel, heads, dFF, layers, dropout }) !== JSON.stringify(want)) {
      c.fail('train/model.json', `describes ${JSON.stringify({ dModel, heads, dFF, layers, dropout })}, the train config ${JSON.stringify(want)}`);
    }
  }
  const checkpoints = c.outputs('train').filter((f) => CHECKPOINT_PATTERN.test(f));
  if (cfg) {
    const steps = checkpointSteps(cfg.steps, cfg.checkpoint_every, cfg.log_checkpoints);
    const expected = cfg.seeds.flatMap((seed) => steps.map((step) => checkpointName(seed, step)));
    expectFiles(c, 'train', checkpoints, expected, `train.seeds = [${cfg.seeds.join(', ')}] and train.steps = ${cfg.steps} with checkpoint_every = ${cfg.checkpoint_every}, log_checkpoints = ${cfg.log_checkpoints} give ${expected.length} checkpoints`);
    for (const seed of cfg.seeds) checkMetrics(c, seed, cfg.steps, cfg.eval_every, steps);
  }
  if (!model) return;
  for (const f of checkpoints) {
    const tensors = c.tensors(`train/${f}`);
    if (tensors) expectParameters(c, `train/${f}`, tensors, model.params);
  }
  const moments = (['m', 'v'] as const).flatMap((k) => model.params.map((p) => ({ ...p, name: `${k}/${p.name}` })));
  for (const seed of cfg?.seeds ?? []) {
    const file = optimizerName(seed);
    if (!c.outputs('train').includes(file)) continue;
    const tensors = c.tensors(`train/${file}`);
    if (tensors) expectParameters(c, `train/${file}`, tensors, moments);
  }
}
