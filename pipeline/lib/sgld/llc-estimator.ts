// λ̂ from the draw losses (devinterp's LLCEstimator and OnlineLLCEstimator, SPEC.md §4):
// per chain nβ·(mean draw loss − init_loss), their mean and sample std (n−1) over chains,
// and the online form — per-draw llc nβ·(loss − init_loss) with its mean and std over
// chains. Diverged chains are kept out of every mean and std, never averaged in.
import { meanStd } from '../util/moments.ts';

export interface Divergence {
  chain: number;
  /** SGLD step (0-based, burn-in included) whose loss was NaN or infinite. */
  step: number;
  /** The draw that step would have been; null for a burn-in or in-between step. */
  draw: number | null;
}

export interface LlcEstimate {
  /** null for a diverged chain. */
  llcPerChain: (number | null)[];
  /** null when every chain diverged. */
  llcMean: number | null;
  /** null with fewer than two chains that did not diverge. */
  llcStd: number | null;
  /** [chains, draws] row-major. */
  lossTrace: Float32Array;
  llcTrace: Float32Array;
  /** [draws]: over the chains that did not diverge (NaN where there are none / too few). */
  llcMeanTrace: Float32Array;
  llcStdTrace: Float32Array;
}

const orNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** `losses[c]` holds chain c's draw losses; `diverged` names the chains to leave out. */
export function estimateLlc(losses: readonly Float32Array[], diverged: ReadonlySet<number>, initLoss: number, nbeta: number): LlcEstimate {
  const chains = losses.length;
  const draws = losses[0]?.length ?? 0;
  const kept = losses.map((_, c) => c).filter((c) => !diverged.has(c));
  const lossTrace = new Float32Array(chains * draws);
  const llcTrace = new Float32Array(chains * draws);
  const llcPerChain = losses.map((row, c) => {
    lossTrace.set(row, c * draws);
    let sum = 0;
    for (let d = 0; d < draws; d++) {
      sum += row[d]!;
      llcTrace[c * draws + d] = nbeta * (row[d]! - initLoss);
    }
    return diverged.has(c) ? null : nbeta * (sum / draws - initLoss);
  });
  const llcMeanTrace = new Float32Array(draws);
  const llcStdTrace = new Float32Array(draws);
  for (let d = 0; d < draws; d++) {
    const { mean, std } = meanStd(kept.map((c) => llcTrace[c * draws + d]!));
    llcMeanTrace[d] = mean;
    llcStdTrace[d] = std;
  }
  const { mean, std } = meanStd(kept.map((c) => llcPerChain[c]!));
  return { llcPerChain, llcMean: orNull(mean), llcStd: orNull(std), lossTrace, llcTrace, llcMeanTrace, llcStdTrace };
}

/** devinterp's default inverse temperature m / ln m for batch size m (1 where undefined). */
export function defaultNbeta(batchSize: number): number {
  return batchSize > 1 ? batchSize / Math.log(batchSize) : 1;
}
