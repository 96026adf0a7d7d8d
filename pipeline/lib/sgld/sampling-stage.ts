// The frame shared by the sampling stages (estimate, sweep, calibration): device choice,
// a progress bar over all chain-steps, the run through runLlc, per-estimate health, and the
// runtime facts for the manifest.
import * as ort from 'onnxruntime-node';
import type { EstimateHealth } from '../../../schemas/health.ts';
import { healthFile } from '../health/estimate-health.ts';
import { STAGE_KNOBS } from '../health/knobs.ts';
import { printHealthWarnings } from '../health/print.ts';
import { Progress } from '../util/progress.ts';
import type { StageContext } from '../stage/context.ts';
import { subnormalsFlushed, type Device } from '../onnx/ort.ts';
import { resolveDevice, type DeviceChoice } from './device.ts';
import { chainStepsOf, divergenceWarning, resultHealth, runLlc, type LlcResult, type LlcSettings, type StartPoint } from './estimate-llc.ts';
import type { SgldModel } from './sampled-model.ts';
import { SAMPLER_DEFAULTS, sessionGroups, type Dataset } from './sessions.ts';
import { QUEUE_ENV } from '../queue/connection.ts';
import { runLlcOnProcesses } from '../queue/processes.ts';
import { samplingProcesses } from '../queue/process-count.ts';

export interface LabelledPoint extends StartPoint {
  /** Names the estimate in warnings and health.json (pipeline/lib/health/labels.ts). */
  label: string;
}

export interface SamplingOutcome {
  device: Device;
  results: LlcResult[];
  /** Each result's health, as health.json records it. */
  health: EstimateHealth[];
}

/** On the CPU, the seed model's session groups run in samplingProcesses() child processes
 * (pipeline/lib/queue/processes.ts: the same bits, ~N× as fast on N cores). */
async function sampleHere(ctx: StageContext, model: SgldModel, points: readonly StartPoint[], data: Dataset, settings: LlcSettings, deviceChoice: DeviceChoice, onProgress: (n: number) => void) {
  const { device, reason } = await resolveDevice(deviceChoice);
  const sessions = sessionGroups(model, Array.from({ length: points.length * settings.num_chains }), SAMPLER_DEFAULTS.maxChains).length;
  const processes = device === 'cpu' && model.seedConfig ? samplingProcesses(chainStepsOf(settings, points.length), sessions) : 1;
  ctx.runtime.processes = processes;
  ctx.log(`device ${device} (${reason}); ${points.length} × ${settings.num_chains} chains, ${chainStepsOf(settings, points.length)} chain-steps${processes > 1 ? ` in ${processes} processes` : ''}`);
  if (processes === 1) return { device, reason, results: await runLlc(model, points, data, settings, { ...SAMPLER_DEFAULTS, device, onProgress }) };
  const local = await runLlcOnProcesses(model, points, data, settings, processes, device, onProgress);
  return { device, reason, results: local.results };
}

export async function sampleStage(ctx: StageContext, model: SgldModel, data: Dataset, points: readonly LabelledPoint[], settings: LlcSettings, deviceChoice: DeviceChoice): Promise<SamplingOutcome> {
  const total = chainStepsOf(settings, points.length);
  const progress = new Progress(ctx.stage, total);
  let done = 0;
  const onProgress = (n: number) => progress.update((done += n));
  const started = performance.now();
  const queue = process.env[QUEUE_ENV];
  // With a queue (pipeline/lib/queue) the workers sample, on their own devices; loaded
  // only then, as BullMQ takes a while to load.
  const { device, reason, results } = queue
    ? await (await import('../queue/stage.ts')).sampleOnQueue(ctx, queue, model, points, data, settings, deviceChoice, onProgress)
    : await sampleHere(ctx, model, points, data, settings, deviceChoice, onProgress);
  const seconds = (performance.now() - started) / 1000;

  const health: EstimateHealth[] = points.map((p, i) => {
    const r = results[i]!;
    for (const d of r.divergences) ctx.log(divergenceWarning(d, p.label));
    return resultHealth(p.label, r, settings, p, STAGE_KNOBS[ctx.stage as keyof typeof STAGE_KNOBS]);
  });
  printHealthWarnings(health, `${ctx.stage}: `);
  ctx.writeJson('health.json', healthFile(health));

  ctx.tools['onnxruntime-node'] = ort.env.versions.common ?? 'unknown';
  ctx.runtime.device = device;
  ctx.runtime.device_reason = reason;
  ctx.runtime.threads = SAMPLER_DEFAULTS.threads;
  if (!queue) {
    const flushed = await subnormalsFlushed();
    ctx.runtime.subnormals = flushed.inputs && flushed.outputs ? 'flushed to zero' : 'kept';
  }
  ctx.runtime.sampling_s = seconds;
  ctx.runtime.chain_steps_per_s = done / seconds;
  ctx.results.chain_steps = done;
  ctx.results.diverged_chains = results.reduce((n, r) => n + r.divergences.length, 0);
  ctx.results.health_warnings = health.reduce((n, h) => n + h.warnings.length, 0);
  ctx.log(`${done} chain-steps in ${seconds.toFixed(1)} s (${(done / seconds).toFixed(1)} chain-steps/s)`);
  return { device, results, health };
}
