// train: model.json agrees with the config, one checkpoint per checkpoint_every steps, each
// exactly the model's parameters and finite; metrics per eval_every steps; the optimizer
// state.
import { TrainConfig } from '../../../schemas/config.ts';
import type { Manifest } from '../../../schemas/manifest.ts';
import { CHECKPOINT_PATTERN, Metrics, checkpointName, checkpointSteps } from '../../../schemas/training.ts';
import type { CheckContext } from '../context.ts';
import { expectParameters } from '../tensors.ts';
import { manifestSection } from './section.ts';
import { expectFiles } from './files.ts';
import { modelOf } from './model.ts';

function checkMetrics(c: CheckContext, steps: number, every: number): void {
  const want = Array.from({ length: Math.floor(steps / every) }, (_, i) => (i + 1) * every);
  const why = `train.steps = ${steps} with eval_every = ${every} gives ${want.length} evaluations`;
  expectFiles(c, 'train', c.outputs('train').filter((f) => f.startsWith('metrics.')), want.length ? ['metrics.json', 'metrics.csv'] : ['metrics.csv'], why);
  const metrics = c.json('train/metrics.json', Metrics);
  if (!metrics) return;
  const got = metrics.rows.map((r) => r.step);
  if (got.join() !== want.join()) c.fail('train/metrics.json', `has rows for steps [${got.join(', ')}], expected one per train.eval_every = ${every} steps up to ${steps}`);
  const csv = c.bytes('train/metrics.csv');
  const lines = csv && Buffer.from(csv).toString('utf8').trim().split('\n');
  if (lines && lines.length !== metrics.rows.length + 1) c.fail('train/metrics.csv', `has ${lines.length - 1} rows, metrics.json ${metrics.rows.length}`);
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
    const expected = checkpointSteps(cfg.steps, cfg.checkpoint_every).map(checkpointName);
    expectFiles(c, 'train', checkpoints, expected, `train.steps = ${cfg.steps} with checkpoint_every = ${cfg.checkpoint_every} gives ${expected.length} checkpoints`);
    checkMetrics(c, cfg.steps, cfg.eval_every);
  }
  if (!model) return;
  for (const f of checkpoints) {
    const tensors = c.tensors(`train/${f}`);
    if (tensors) expectParameters(c, `train/${f}`, tensors, model.params);
  }
  if (c.outputs('train').includes('optimizer.safetensors')) {
    const tensors = c.tensors('train/optimizer.safetensors');
    const moments = (['m', 'v'] as const).flatMap((k) => model.params.map((p) => ({ ...p, name: `${k}/${p.name}` })));
    if (tensors) expectParameters(c, 'train/optimizer.safetensors', tensors, moments);
  }
}
