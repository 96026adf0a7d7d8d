// Which of the seed model's weights a chain samples: estimate.params / estimate.freeze for
// every chain, and estimate.restrict's groups (devinterp's optimize_over) for extra chains.
// A chain samples through a 0/1 mask on the SGLD update (pipeline/lib/sgld/update.ts); the weights
// outside it stay at the checkpoint.
import { globRegex } from '../../pipeline/lib/util/glob.ts';
import type { ParamSpec } from '../../pipeline/lib/model/config.ts';
import { elementCount } from '../../pipeline/lib/onnx/ir.ts';

export interface ParameterMask {
  params: string[];
  /** 1 for the chosen weights in flat parameter order, else 0. */
  mask: Float32Array;
  weightCount: number;
}

export interface RestrictGroup extends ParameterMask {
  name: string;
}

/** The parameters matching `include` (all where it is empty) and no `exclude` glob; `where`
 * names the config key in errors. */
export function parameterMask(params: readonly ParamSpec[], include: readonly string[], exclude: readonly string[], where: string): ParameterMask {
  for (const [key, globs] of [[where, include], ['estimate.freeze', exclude]] as const) {
    for (const glob of globs) {
      if (!params.some((p) => globRegex(glob).test(p.name))) throw new Error(`${key}: "${glob}" matches no parameter (parameters: ${params.map((p) => p.name).join(', ')})`);
    }
  }
  const matches = (globs: readonly string[], name: string) => globs.some((g) => globRegex(g).test(name));
  const mask = new Float32Array(params.reduce((n, p) => n + elementCount(p.shape), 0));
  const chosen: string[] = [];
  let at = 0;
  for (const p of params) {
    const size = elementCount(p.shape);
    if ((include.length === 0 || matches(include, p.name)) && !matches(exclude, p.name)) {
      mask.fill(1, at, at + size);
      chosen.push(p.name);
    }
    at += size;
  }
  if (chosen.length === 0) throw new Error(`${where}: no parameter is left to sample once estimate.freeze applies`);
  return { params: chosen, mask, weightCount: mask.reduce((n, v) => n + v, 0) };
}

export function restrictGroups(restrict: Record<string, string[]>, freeze: readonly string[], params: readonly ParamSpec[]): RestrictGroup[] {
  return Object.entries(restrict).map(([name, globs]) => ({ name, ...parameterMask(params, globs, freeze, `estimate.restrict.${name}`) }));
}
