// Initial weights as SPEC.md §2 says: PyTorch's defaults, then every parameter with ≥ 2
// dimensions re-drawn xavier-normal with gain 2 (`train.init_gain`; a larger gain is
// Omnigrok's lever for delayed generalisation, docs/training-settings.md). Only the 1-D parameters keep a PyTorch
// default (Linear biases U(±1/√fan_in), attention biases 0, LayerNorm 1 and 0), since every
// matrix and embedding is drawn again. Random numbers come from the project's PCG32, so
// values differ from PyTorch's generator; the distributions are the same.
import type { ParamSpec } from '../../pipeline/lib/model/config.ts';
import { Pcg32, standardNormal } from '../../pipeline/lib/util/prng.ts';

/** SPEC.md's gain, the notebook's. */
export const XAVIER_GAIN = 2.0;

/** What a 1-D parameter starts as, from its PyTorch module. */
function vectorInit(name: string, fanIn: number | undefined): { kind: 'const'; value: number } | { kind: 'uniform'; bound: number } {
  if (/\.norm\d+\.weight$/.test(name)) return { kind: 'const', value: 1 };
  if (/\.norm\d+\.bias$/.test(name)) return { kind: 'const', value: 0 };
  if (/self_attn\.(in_proj_bias|out_proj\.bias)$/.test(name)) return { kind: 'const', value: 0 };
  if (name.endsWith('.bias') && fanIn !== undefined) return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
  throw new Error(`init: no PyTorch default known for 1-D parameter "${name}"`);
}

/** Initial values for every parameter, in the given order, from `seed`; matrices xavier-normal with `gain`. */
export function initialWeights(params: readonly ParamSpec[], seed: number, gain = XAVIER_GAIN): Record<string, Float32Array> {
  if (!(gain > 0) || !Number.isFinite(gain)) throw new Error(`init: the xavier gain must be a positive number, got ${gain}`);
  const rng = new Pcg32(seed, 0x1a17);
  const shapes = new Map(params.map((p) => [p.name, p.shape]));
  const out: Record<string, Float32Array> = {};
  for (const p of params) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (p.shape.length >= 2) {
      const [fanOut, fanIn] = p.shape as [number, number];
      const receptive = p.shape.slice(2).reduce((a, b) => a * b, 1);
      const std = gain * Math.sqrt(2 / (fanIn * receptive + fanOut * receptive));
      for (let i = 0; i < size; i++) data[i] = std * standardNormal(rng);
    } else {
      // A Linear bias's fan_in is its weight's second dimension.
      const weightShape = shapes.get(p.name.replace(/bias$/, 'weight'));
      const init = vectorInit(p.name, weightShape?.[1]);
      for (let i = 0; i < size; i++) data[i] = init.kind === 'const' ? init.value : (2 * rng.uniform() - 1) * init.bound;
    }
    out[p.name] = data;
  }
  return out;
}
