// estimate.restrict: λ̂ restricted to groups of parameters (devinterp's optimize_over). A
// group's chains sample only the weights its globs name and hold the rest at the checkpoint,
// through a 0/1 mask on the SGLD update (stages/sgld/graph.ts).
import { globRegex } from '../lib/glob.ts';
import type { ParamSpec } from '../model/config.ts';
import { elementCount } from '../onnx/ir.ts';

export interface RestrictGroup {
  name: string;
  params: string[];
  /** 1 for the group's weights in flat parameter order, else 0. */
  mask: Float32Array;
  weightCount: number;
}

export function restrictGroups(restrict: Record<string, string[]>, params: readonly ParamSpec[]): RestrictGroup[] {
  return Object.entries(restrict).map(([name, globs]) => {
    const mask = new Float32Array(params.reduce((n, p) => n + elementCount(p.shape), 0));
    const chosen: string[] = [];
    for (const glob of globs) {
      if (!params.some((p) => globRegex(glob).test(p.name))) throw new Error(`estimate.restrict.${name}: "${glob}" matches no parameter (parameters: ${params.map((p) => p.name).join(', ')})`);
    }
    let at = 0;
    for (const p of params) {
      const size = elementCount(p.shape);
      if (globs.some((g) => globRegex(g).test(p.name))) {
        mask.fill(1, at, at + size);
        chosen.push(p.name);
      }
      at += size;
    }
    return { name, params: chosen, mask, weightCount: mask.reduce((n, v) => n + v, 0) };
  });
}
