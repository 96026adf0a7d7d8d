// The per-run trace file (safetensors, so Python opens it with one call): loss and llc
// traces [chains, draws] and the online llc mean and std over chains per draw.
import type { SafeTensors } from '../lib/safetensors.ts';
import type { LlcEstimate } from './stats.ts';

export function traceTensors(est: LlcEstimate): SafeTensors {
  const chains = est.llcPerChain.length;
  const draws = est.llcMeanTrace.length;
  return {
    loss: { dtype: 'F32', shape: [chains, draws], data: est.lossTrace },
    llc: { dtype: 'F32', shape: [chains, draws], data: est.llcTrace },
    llc_mean: { dtype: 'F32', shape: [draws], data: est.llcMeanTrace },
    llc_std: { dtype: 'F32', shape: [draws], data: est.llcStdTrace },
  };
}
