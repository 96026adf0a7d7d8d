// Shared by the normalisation rules (LayerNormalization, InstanceNormalization,
// GroupNormalization) and LayerNormalization's lowering to primitive ops (sgld/optimize.ts): x̂ = (x - μ)·r with r = 1/√(σ² + ε), μ and σ² the mean and (biased)
// variance over trailing statistic axes, and the backward of x̂ through those statistics;
// also the per-channel broadcast and sum these rules and BatchNormalization share.
import type { Emitter } from './emit.ts';

export interface Standardized {
  xhat: string;
  /** μ, with the statistic axes kept as 1s (where standardize computed it). */
  mean?: string;
  /** 1/√(σ² + ε), with the statistic axes kept as 1s. */
  inv: string;
}

/** x̂ and r of `x` over `axes`; `epsilon` is ε as a scalar constant of x's element type (x
 * may be an added value, whose type the emitter does not know). */
export function standardize(e: Emitter, x: string, axes: number[], epsilon: string): Standardized {
  const mean = e.reduce('ReduceMean', x, axes, true);
  const centred = e.op('Sub', [x, mean]);
  const variance = e.reduce('ReduceMean', e.op('Mul', [centred, centred]), axes, true);
  const inv = e.op('Reciprocal', [e.op('Sqrt', [e.op('Add', [variance, epsilon])])]);
  return { xhat: e.op('Mul', [centred, inv]), mean, inv };
}

/** Gradient of x given g = dL/dx̂ (dy·scale): dx = r·(g - mean(g) - x̂·mean(g·x̂)), means over
 * the statistic axes `axes`. */
export function standardizeBackward(e: Emitter, { xhat, inv }: Standardized, g: string, axes: number[]): string {
  const mean = (v: string): string => e.reduce('ReduceMean', v, axes, true);
  const centred = e.op('Sub', [g, mean(g)]);
  return e.op('Mul', [inv, e.op('Sub', [centred, e.op('Mul', [xhat, mean(e.op('Mul', [g, xhat]))])])]);
}

/** A per-channel vector [C] as [C, 1, …, 1], so that it broadcasts along axis 1 of a value
 * [N, C, D…] of rank `rank`. */
export function perChannel(e: Emitter, v: string, rank: number): string {
  return rank > 2 ? e.unsqueeze(v, Array.from({ length: rank - 2 }, (_, i) => i + 1)) : v;
}

/** Σ of v ([N, C, D…], rank `rank`) over every axis but the channel axis 1: a [C] vector. */
export function channelSum(e: Emitter, v: string, rank: number): string {
  return e.reduce('ReduceSum', v, [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)], false);
}
