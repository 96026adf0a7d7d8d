// What a λ̂ run's chains draw, as tensors: init_loss's minibatch rows, and per chain every
// step's minibatch rows and noise. Another sampler fed these runs on exactly our randomness
// (`bench/devinterp/devinterp_llc.py replay` runs devinterp so), which separates what the
// samplers compute from how they draw.
import type { SafeTensors } from '../util/safetensors.ts';
import { totalSteps } from './draw-schedule.ts';
import { chainSpec, initLossRowBatches, scheduleOf, type LlcSettings, type StartPoint } from './estimate-llc.ts';
import { chainStreams } from './sessions.ts';

/** Rows of several minibatches, concatenated, beside each batch's size. */
function batchTensors(prefix: string, batches: readonly number[][]): SafeTensors {
  return {
    [`${prefix}rows`]: { dtype: 'I64', shape: [batches.reduce((n, b) => n + b.length, 0)], data: BigInt64Array.from(batches.flat(), BigInt) },
    [`${prefix}sizes`]: { dtype: 'I64', shape: [batches.length], data: BigInt64Array.from(batches, (b) => BigInt(b.length)) },
  };
}

/** `init/rows`, `init/sizes` (init_loss's batches); per chain c `chain<c>/rows`, `chain<c>/sizes` [steps] and
 * `chain<c>/noise` [steps, P] (P the flat weights, in the sampled model's order). */
export function drawnRandomness(s: LlcSettings, point: StartPoint, rows: number): SafeTensors {
  const steps = totalSteps(scheduleOf(s));
  const P = point.w0.length;
  const out: SafeTensors = batchTensors('init/', initLossRowBatches(s, point, rows));
  for (let c = 0; c < s.num_chains; c++) {
    const { noise, loader } = chainStreams(chainSpec(point, s, c).rng, rows, s.batch_size);
    const values = new Float32Array(steps * P);
    const batches: number[][] = [];
    // In sampleChains' order: each step's noise, then its minibatch (the streams are separate).
    for (let k = 0; k < steps; k++) {
      noise.fill(values, k * P, P);
      batches.push(loader.next());
    }
    Object.assign(out, batchTensors(`chain${c}/`, batches), { [`chain${c}/noise`]: { dtype: 'F32', shape: [steps, P], data: values } });
  }
  return out;
}
