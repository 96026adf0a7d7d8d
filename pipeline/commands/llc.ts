// `pipeline llc`: λ̂ of any ONNX model a user brings, on their own data, with devinterp's
// SGLD settings. Its weights (not its buffers: pipeline/lib/sgld/weight-selection.ts) are sampled; it has
// no chain axis, so its chains run one after another.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { EstimateConfig } from '../../schemas/config.ts';
import { LLC_SUMMARY_SCHEMA_ID, LLC_SUMMARY_SCHEMA_VERSION, type LlcSummary } from '../../schemas/llc-summary.ts';
import { writeFileAtomic, writeJsonAtomic } from '../lib/util/atomic.ts';
import { Progress } from '../lib/util/progress.ts';
import { encodeSafetensors } from '../lib/util/safetensors.ts';
import { decodeModel, readModelFile } from '../lib/onnx/io.ts';
import { fitTargets, LOSS_KINDS, readDataset } from '../lib/sgld/llc-data.ts';
import { DEVINTERP_DEFAULTS, devinterpResults, unlikeDevinterp } from '../lib/sgld/devinterp.ts';
import { resolveDevice } from '../lib/sgld/device.ts';
import { chainStepsOf, divergenceWarning, resolveNbeta, resultHealth, runLlc, type LlcSettings } from '../lib/sgld/estimate-llc.ts';
import { type ImportOptions, importOnnxModel } from '../lib/sgld/sampled-model.ts';
import { type OpCoverage, opCoverage } from '../lib/autodiff/grad.ts';
import { SAMPLER_DEFAULTS } from '../lib/sgld/sessions.ts';
import { traceTensors } from '../lib/sgld/trace-file.ts';
import { drawnRandomness } from '../lib/sgld/randomness.ts';
import { LLC_FLAGS } from '../lib/health/knobs.ts';
import { printHealthWarnings } from '../lib/health/print.ts';
import { UsageError, parse, type Command } from '../command.ts';
import { presetSection } from '../config.ts';

/** Flag → estimate config key, for the knobs the two share. */
const KNOBS = {
  lr: 'lr',
  nbeta: 'nbeta',
  localization: 'localization',
  'weight-decay': 'weight_decay',
  'noise-level': 'noise_level',
  chains: 'num_chains',
  draws: 'num_draws',
  burnin: 'num_burnin_steps',
  thin: 'num_steps_bw_draws',
  'batch-size': 'batch_size',
  seed: 'seed',
  device: 'device',
  sampler: 'sampler',
  'init-loss': 'init_loss',
} as const;

/** The notebook's estimate settings (pipeline/presets/notebook.yaml): there is no sweep here
 * to take ε and nβ from, as the estimate stage's defaults do. */
const NOTEBOOK = presetSection('notebook', 'estimate');
const defaults = resolved(EstimateConfig.parse(NOTEBOOK));

/** The settings with ε and nβ given as numbers (or nβ auto), as pipeline llc needs them. */
function resolved<T extends { lr: number | 'sweep'; nbeta: number | 'auto' | 'sweep' }>(s: T): T & { lr: number; nbeta: number | 'auto' } {
  if (s.lr === 'sweep' || s.nbeta === 'sweep') throw new UsageError(`pipeline llc has no sweep to take ε or nβ from: give --lr and --nbeta as numbers (nβ may be auto)`);
  return s as T & { lr: number; nbeta: number | 'auto' };
}
const FORMATS = ['pipeline', 'devinterp'] as const;

/** "(default 0.001; devinterp's 0.01)", devinterp's only where it differs. */
function defaultOf(key: keyof typeof DEVINTERP_DEFAULTS): string {
  const theirs = DEVINTERP_DEFAULTS[key];
  return theirs === defaults[key] ? `(default ${defaults[key]})` : `(default ${defaults[key]}; devinterp's ${theirs})`;
}

const FLAGS = {
  model: { type: 'string' },
  data: { type: 'string' },
  input: { type: 'string' },
  output: { type: 'string' },
  loss: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  params: { type: 'string', multiple: true },
  freeze: { type: 'string', multiple: true },
  threads: { type: 'string' },
  randomness: { type: 'string' },
  'check-ops': { type: 'boolean' },
  ...Object.fromEntries(Object.keys(KNOBS).map((k) => [k, { type: 'string' }])),
} as const;

export const llcCommand: Command = {
  usage: `pipeline llc --model m.onnx --data d.safetensors --out summary.json [options]
       pipeline llc --check-ops --model m.onnx [--output name] [--params/--freeze …]

Estimates λ̂ of an ONNX model at its own weights with SGLD as devinterp 1.3 does
(README: λ̂ by SGLD). The sampled weights are the float initializers the output depends on
differentiably — not buffers such as Pow exponents, shapes, indices, masks holding ±∞ or
BatchNorm statistics — or those --params names; each one left out is printed with the
reason and listed in the summary. Its data input
is fed the rows of x, its output is compared with y by MSE (the mean over all elements
of a minibatch) or cross-entropy (--loss ce: logits [rows, ..., classes], y int class or
token indices [rows, ...], the mean over all target positions as torch's cross_entropy);
minibatches cycle a reshuffled loader. float64 data is converted to float32 and a y that
differs from the output only by axes of size 1 ([n] against [n, 1]) is reshaped, each
with a note. After sampling it prints the sampler's health warnings (split-R̂, ESS,
stationarity, negative λ̂, diverged chains, loss explosion against init_loss, λ̂ above
d/2, batch size above the rows, MALA acceptance, noise against the weights). Writes
summary.json (λ̂, its standard error, the health record and warnings) and, beside it,
<name>.trace.safetensors (loss and llc traces [chains, draws], llc mean/std per draw).
The defaults are the notebook's (pipeline/presets/notebook.yaml); those that differ from devinterp's
estimate_learning_coeff_with_summary are marked below and printed when used.

--check-ops lists the model's op types and, for each, whether the gradient passes it by
a rule, stops there, does not pass there, or passes it without a rule (then sampling
would fail); it samples nothing and exits 1 when a rule is missing.

Required:
  --model <file>        the ONNX model (opset ≥ 13, no control flow)
  --data <file>         safetensors with x (model input rows) and y (float targets for
                        mse, int64/int32 class indices for ce)
  --out <file>          where to write the summary JSON

Options (defaults: the notebook's estimate settings):
  --input <name>        the model input the rows of x feed (default: its only input)
  --output <name>       the model output compared with y (default: its only output)
  --loss <l>            mse | ce (cross-entropy over the output's last axis) (default mse)
  --format <f>          pipeline | devinterp: the summary's keys — ours (schema
                        llc-pipeline/llc-summary), or those of the dict devinterp's
                        estimate_learning_coeff_with_summary returns (llc/mean, llc/std,
                        llc-chain/<i>, loss/trace, and the online llc/means, llc/stds,
                        llc/trace, init_loss) (default pipeline)
  --params <glob>       sample only initializers matching the glob (* any characters,
                        ? one; repeatable), instead of the automatic choice
  --freeze <glob>       keep initializers matching the glob constant (repeatable)
  --sampler <s>         sgld | rmsprop_sgld (devinterp's SGMCMC.rmsprop_sgld: α 0.99,
                        eps 0.1) (default ${defaults.sampler})
  --lr <ε>              SGLD step size ${defaultOf('lr')}
  --nbeta <nβ|auto>     inverse temperature; auto = m/ln m, m the batch size ${defaultOf('nbeta')}
  --localization <γ>    pull towards the initial weights ${defaultOf('localization')}
  --weight-decay <λ>    ${defaultOf('weight_decay')}
  --noise-level <σ>     ${defaultOf('noise_level')}
  --chains <n>          number of chains ${defaultOf('num_chains')}
  --draws <n>           draws per chain ${defaultOf('num_draws')}
  --burnin <n>          burn-in steps ${defaultOf('num_burnin_steps')}
  --thin <n>            steps between draws ${defaultOf('num_steps_bw_draws')}
  --batch-size <m>      minibatch size (default ${defaults.batch_size}; devinterp: the DataLoader's)
  --seed <n>            seed of the minibatch order and the noise (default ${defaults.seed})
  --init-loss <l>       full | batches: init_loss is the loss on all rows, or devinterp's
                        mean of the first --chains minibatch losses (at most one pass), whose
                        error moves every chain alike, so no se over chains includes it
                        (default ${defaults.init_loss}, as devinterp)
  --device <d>          auto | cpu | cuda (default ${defaults.device}; cuda never falls back to cpu)
  --threads <n>         onnxruntime intra-op threads (default ${SAMPLER_DEFAULTS.threads})
  --randomness <file>   also write what the chains draw — init_loss's minibatch rows, each
                        chain's minibatch rows and noise per step — as safetensors, to run
                        another sampler on the same randomness (bench/devinterp/devinterp_llc.py)
  -h, --help            this text`,

  async main(argv) {
    const { values } = parse(argv, FLAGS);
    const v = values as Record<string, string | undefined>;
    if (values['check-ops']) {
      if (!v.model) throw new UsageError('--model is required');
      return checkOps(v.model, { input: v.input, output: v.output, params: values.params as string[] | undefined, freeze: values.freeze as string[] | undefined });
    }
    for (const required of ['model', 'data', 'out'] as const) if (!v[required]) throw new UsageError(`--${required} is required`);
    const loss = oneOf('loss', v.loss ?? 'mse', LOSS_KINDS);
    const format = oneOf('format', v.format ?? 'pipeline', FORMATS);
    const settings = parseKnobs(v);
    const threads = positiveInt('threads', v.threads ?? String(SAMPLER_DEFAULTS.threads));
    const [modelPath, dataPath, outPath] = [v.model!, v.data!, v.out!];

    let bytes: Uint8Array;
    try {
      bytes = readFileSync(modelPath);
    } catch (e) {
      throw new Error(`cannot read the model: ${(e as Error).message}`);
    }
    const onnx = decodeModel(bytes, modelPath);
    const imported = importOnnxModel(onnx, modelPath, { input: v.input, output: v.output, params: values.params as string[] | undefined, freeze: values.freeze as string[] | undefined });
    const { weights, constants } = imported.selection;
    process.stderr.write(`llc: sampling ${weights.length} initializer${weights.length === 1 ? '' : 's'} (${imported.w0.length} weights): ${weights.map((w) => w.name).join(', ')}\n`);
    for (const c of constants) process.stderr.write(`llc: kept constant ${c.name} [${c.shape}]: ${c.why}\n`);
    const read = readDataset(dataPath, modelPath, imported, onnx, loss);
    const rows = read.data.x.dims[0]!;
    const { device, reason } = await resolveDevice(settings.device);
    process.stderr.write(`llc: device ${device} (${reason}), onnxruntime ${ort.env.versions.common}, ${rows} rows\n`);
    const { data, notes } = await fitTargets(bytes, imported, read, device, modelPath, loss);
    for (const note of notes) process.stderr.write(`llc: note: ${note}\n`);
    const unlike = defaultsUnlikeDevinterp(v, settings);
    if (unlike) process.stderr.write(`llc: ${unlike}\n`);

    const point = { w0: imported.w0, key: 0 };
    if (v.randomness) writeFileAtomic(v.randomness, encodeSafetensors(drawnRandomness(settings, point, rows)));
    const progress = new Progress('llc', chainStepsOf(settings, 1));
    let done = 0;
    const started = performance.now();
    const [result] = await runLlc(imported.model, [point], data, settings, {
      ...SAMPLER_DEFAULTS,
      device,
      threads,
      onProgress: (n) => progress.update((done += n)),
    });
    const seconds = (performance.now() - started) / 1000;
    const r = result!;
    for (const d of r.divergences) process.stderr.write(divergenceWarning(d, modelPath) + '\n');
    const health = resultHealth(modelPath, r, settings, imported, LLC_FLAGS, rows);
    printHealthWarnings([health], 'llc: ');

    const trace = `${basename(outPath).replace(/\.json$/i, '')}.trace.safetensors`;
    writeFileAtomic(join(dirname(outPath), trace), encodeSafetensors(traceTensors(r)));
    const summary: LlcSummary = {
      schema: LLC_SUMMARY_SCHEMA_ID,
      schema_version: LLC_SUMMARY_SCHEMA_VERSION,
      model: modelPath,
      data: dataPath,
      input: imported.input,
      output: imported.output,
      loss,
      classes: data.loss?.kind === 'ce' ? data.loss.classes : null,
      data_notes: notes,
      sampler: settings.sampler,
      weights: weights.map((w) => ({ name: w.name, shape: w.shape })),
      weight_count: imported.w0.length,
      constants,
      llc_mean: r.estimate.llcMean,
      llc_std: r.estimate.llcStd,
      llc_per_chain: r.estimate.llcPerChain,
      llc_se: health.llc_se ?? null,
      init_loss: r.initLoss,
      init_loss_from: settings.init_loss,
      nbeta: r.nbeta,
      num_chains: settings.num_chains,
      num_draws: settings.num_draws,
      num_burnin_steps: settings.num_burnin_steps,
      num_steps_bw_draws: settings.num_steps_bw_draws,
      lr: settings.lr,
      localization: settings.localization,
      weight_decay: settings.weight_decay,
      noise_level: settings.noise_level,
      batch_size: settings.batch_size,
      seed: settings.seed,
      diverged: r.divergences,
      mala_acceptance: health.mala_acceptance ?? null,
      health_warnings: health.warnings,
      health,
      trace,
      device,
      onnxruntime: ort.env.versions.common,
      seconds,
      chain_steps_per_s: done / seconds,
    };
    writeJsonAtomic(outPath, format === 'devinterp' ? devinterpResults(r) : summary);
    const std = r.estimate.llcStd === null ? '' : ` ± ${r.estimate.llcStd.toPrecision(4)} (std over chains)`;
    const se = health.llc_se == null ? '' : `, se ${health.llc_se.toPrecision(2)}`;
    const warned = health.warnings.length ? `; ${health.warnings.length} health warning${health.warnings.length === 1 ? '' : 's'} (above, and in the summary)` : '';
    process.stdout.write(`λ̂ = ${r.estimate.llcMean?.toPrecision(4) ?? 'undefined (every chain diverged)'}${std}${se}, init_loss ${r.initLoss.toPrecision(4)}, nβ ${r.nbeta.toPrecision(4)} → ${outPath}${warned}\n`);
    return r.estimate.llcMean === null ? 1 : 0;
  },
};

const COVERAGE_WORDS: Record<OpCoverage['status'], string> = {
  rule: 'rule',
  stops: 'stops the gradient (not differentiable)',
  'off-path': 'no rule; none needed here (no gradient passes it)',
  missing: 'MISSING: the gradient passes it and no rule exists',
};

/** --check-ops: the op table of the model, before any sampling. */
function checkOps(modelPath: string, options: ImportOptions): number {
  const onnx = readModelFile(modelPath);
  const imported = importOnnxModel(onnx, modelPath, options);
  const wrt = imported.selection.weights.map((w) => w.name);
  const coverage = opCoverage(onnx.graph, imported.model.opset, imported.output, wrt);
  const width = Math.max(2, ...coverage.map((c) => c.op.length));
  const lines = [
    `${modelPath}: opset ${imported.model.opset}, gradient of output "${imported.output}" with respect to ${wrt.length} sampled initializer${wrt.length === 1 ? '' : 's'}`,
    `  ${'op'.padEnd(width)}  nodes  gradient`,
    ...coverage.map((c) => `  ${c.op.padEnd(width)}  ${String(c.count).padStart(5)}  ${COVERAGE_WORDS[c.status]}`),
  ];
  const missing = coverage.filter((c) => c.status === 'missing').map((c) => c.op);
  lines.push(missing.length === 0 ? 'every op the gradient passes has a rule: the model can be sampled' : `missing gradient rules: ${missing.join(', ')}`);
  process.stdout.write(lines.join('\n') + '\n');
  return missing.length === 0 ? 0 : 1;
}

/** The sampler knobs from their flags, validated by the estimate config's schema. */
function parseKnobs(v: Record<string, string | undefined>) {
  const raw: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(KNOBS)) {
    const text = v[flag];
    if (text === undefined) continue;
    raw[key] = key === 'device' || key === 'sampler' || key === 'init_loss' || (key === 'nbeta' && text === 'auto') ? text : Number(text);
  }
  const r = EstimateConfig.safeParse({ ...NOTEBOOK, ...raw });
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = String(issue.path[0]);
    const flag = Object.entries(KNOBS).find(([, k]) => k === key)?.[0] ?? key;
    const allowed = EstimateConfig.shape[key as keyof typeof EstimateConfig.shape]?.description;
    throw new UsageError(`--${flag} ${v[flag]}: expected ${allowed ?? issue.message}`);
  }
  return resolved(r.data);
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`--${flag} ${text}: expected one of ${allowed.join(', ')}`);
  return text as T;
}

/** The line naming the knobs left at a default that differs from devinterp's, or ''. */
function defaultsUnlikeDevinterp(v: Record<string, string | undefined>, settings: LlcSettings): string {
  const flagOf = (key: string) => Object.entries(KNOBS).find(([, k]) => k === key)![0];
  const unlike = unlikeDevinterp(settings).filter((key) => v[flagOf(key)] === undefined);
  if (!unlike.length) return '';
  const theirs = (key: keyof LlcSettings) => (key === 'nbeta' ? `auto = m/ln m = ${resolveNbeta({ ...settings, nbeta: 'auto' }).toPrecision(4)}` : DEVINTERP_DEFAULTS[key]);
  const each = unlike.map((key) => `--${flagOf(key)} ${settings[key]} (devinterp ${theirs(key)})`);
  return `defaults unlike devinterp's estimate_learning_coeff_with_summary: ${each.join(', ')}; pass the flags to choose`;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} ${text}: expected a positive integer`);
  return n;
}
