// The per-run trace file (safetensors, so Python opens it with one call): loss and llc
// traces [chains, draws], the online llc mean and std over chains per draw, and each chain
// diagnostic [chains, draws] (grad_norm, noise_norm, pull_norm, distance, mala_acceptance).
import type { SafeTensors } from '../util/safetensors.ts';
import type { LlcResult } from './estimate-llc.ts';

export function traceTensors({ estimate: est, diagnostics }: Pick<LlcResult, 'estimate' | 'diagnostics'>): SafeTensors {
  const chains = est.llcPerChain.length;
  const draws = est.llcMeanTrace.length;
  return {
    ...Object.fromEntries(Object.entries(diagnostics).map(([name, data]) => [name, { dtype: 'F32' as const, shape: [chains, draws], data }])),
    loss: { dtype: 'F32', shape: [chains, draws], data: est.lossTrace },
    llc: { dtype: 'F32', shape: [chains, draws], data: est.llcTrace },
    llc_mean: { dtype: 'F32', shape: [draws], data: est.llcMeanTrace },
    llc_std: { dtype: 'F32', shape: [draws], data: est.llcStdTrace },
  };
}
