// `pipeline doctor`: which onnxruntime execution providers and tfjs backends load on this
// machine, which the stages would choose under the default config (through the very
// functions the stages call), and for each that does not load, why and the fixing command.
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { EstimateConfig, TrainConfig } from '../../schemas/config.ts';
import { resolveDevice } from '../lib/sgld/device.ts';
import { initBackend } from '../lib/tfjs/backend.ts';
import { chooseTrainRuntime } from '../../stages/train/open-engine.ts';
import { parse, type Command } from '../command.ts';
import { shorten, type Check } from '../doctor/check.ts';
import { nvidiaDriver, providerChecks } from '../doctor/onnxruntime.ts';
import { backendChecks } from '../doctor/tfjs.ts';
import { subnormalLine, subnormalReport } from '../doctor/subnormals.ts';

interface Choice {
  stage: string;
  /** What it would run on, e.g. "onnxruntime on cpu"; absent when the stage would fail. */
  uses?: string;
  reason?: string;
  error?: string;
}

async function choice(stage: string, pick: () => Promise<{ uses: string; reason: string }>): Promise<Choice> {
  try {
    return { stage, ...(await pick()) };
  } catch (e) {
    return { stage, error: shorten((e as Error).message) };
  }
}

/** What train, the sampling stages and export would use under the default config. */
async function choices(): Promise<Choice[]> {
  const train = TrainConfig.parse({});
  return [
    await choice('train', async () => {
      const r = await chooseTrainRuntime(train);
      return { uses: r.engine === 'tfjs' ? `tfjs on ${r.backend.name}` : `onnxruntime on ${r.device}`, reason: r.reason };
    }),
    await choice('estimate, sweep, calibration', async () => {
      const r = await resolveDevice(EstimateConfig.parse({}).device);
      return { uses: `onnxruntime on ${r.device}`, reason: r.reason };
    }),
    await choice('export', async () => {
      const r = await initBackend(train.backend);
      return { uses: `tfjs on ${r.name}`, reason: `train.backend = ${train.backend}: the fastest tfjs backend that starts, to check the ONNX model against` };
    }),
  ];
}

function checkLines(checks: Check[]): string[] {
  return checks.flatMap((c) => {
    const head = `  ${c.name.padEnd(16)}${c.loads ? `loads${c.version ? ` (${c.version})` : ''}` : `does not load: ${c.why}`}`;
    const width = Math.max(0, ...c.fixes.map((f) => f.command.length));
    const fixes = c.fixes.map((f, i) => `  ${' '.repeat(16)}${i === 0 ? 'fix: ' : 'or:  '}${f.command.padEnd(width)}  # ${f.note}`);
    if (!c.loads && c.fixes.length === 0) fixes.push(`  ${' '.repeat(16)}fix: none on this machine`);
    return [head, ...fixes];
  });
}

export const doctorCommand: Command = {
  usage: `pipeline doctor [--json]

Says which onnxruntime execution providers (cpu, cuda) and tfjs backends (tensorflow-gpu,
tensorflow, wasm, cpu) load on this machine — each is started on a one-node model, as the
stages start them — and, for each that does not, why and the command that fixes it (e.g.
\`npm run cuda12\` / \`npm run cuda13\` for onnxruntime's CUDA provider). Then which engine,
device and backend train, estimate/sweep/calibration and export would choose under the
default config (train.engine, train.backend, train.device, estimate.device = auto), by
calling the functions those stages call. Last, whether this CPU penalises arithmetic on
subnormal floats (a ~100 ms MatMul probe in a child process) and whether onnxruntime
sessions here flush them to zero (docs/subnormals.md). Exits 1 when a stage would have
nothing to run on.

Options:
  --json                print the same as JSON: platform, nvidia_driver, onnxruntime
                        {version, providers}, tfjs {version, backends}, choices,
                        subnormals {normal_ms, subnormal_ms, penalised, flushed}; each
                        provider or backend is {name, loads, version?, why?, fixes: [{command, note}]}
  -h, --help            this text`,

  async main(argv) {
    const { values } = parse(argv, { json: { type: 'boolean' } });
    // The report says why a provider fails; onnxruntime's own error log would only repeat it.
    ort.env.logLevel = 'fatal';
    const driver = nvidiaDriver();
    const report = {
      platform: `${process.platform} ${process.arch}, Node ${process.version}`,
      nvidia_driver: driver,
      onnxruntime: { version: ort.env.versions.common ?? 'unknown', providers: await providerChecks(driver) },
      tfjs: { version: tf.version_core, backends: await backendChecks() },
      choices: await choices(),
      subnormals: await subnormalReport(),
    };
    const failed = report.choices.some((c) => c.error !== undefined);
    if (values.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return failed ? 1 : 0;
    }
    const lines = [
      `${report.platform}; NVIDIA driver: ${driver.found ? `${driver.version} (CUDA ≤ ${driver.cuda})` : `none (${driver.why})`}`,
      '',
      `onnxruntime-node ${report.onnxruntime.version} execution providers`,
      ...checkLines(report.onnxruntime.providers),
      `tfjs ${report.tfjs.version} backends`,
      ...checkLines(report.tfjs.backends),
      '',
      'chosen under the default config (train.engine, train.backend, train.device, estimate.device = auto)',
      ...report.choices.map((c) => `  ${c.stage.padEnd(30)}${c.uses ? `${c.uses} — ${c.reason}` : `fails: ${c.error}`}`),
      '',
      `subnormal floats: ${subnormalLine(report.subnormals)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return failed ? 1 : 0;
  },
};
