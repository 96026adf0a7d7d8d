// The seed transformer's hyper-parameters and its parameter list (SPEC.md §2). Kept free of
// ONNX and tfjs so that every stage can read it.

export interface SeedModelConfig {
  vocab: number;
  seqLen: number;
  dModel: number;
  heads: number;
  dFF: number;
  layers: number;
  dropout: number;
  /** LayerNorm epsilon (PyTorch's default). */
  layerNormEps: number;
}

export const SEED_MODEL_CONFIG: Readonly<SeedModelConfig> = Object.freeze({
  vocab: 26,
  seqLen: 10,
  dModel: 64,
  heads: 4,
  dFF: 48,
  layers: 2,
  dropout: 0.1,
  layerNormEps: 1e-5,
});

export interface ParamSpec {
  name: string;
  shape: number[];
}

/** Throws on a configuration the model cannot be built from. */
export function checkModelConfig(cfg: SeedModelConfig): void {
  const positive = ['vocab', 'seqLen', 'dModel', 'heads', 'dFF', 'layers'] as const;
  for (const key of positive) {
    if (!Number.isInteger(cfg[key]) || cfg[key] < 1) throw new Error(`model config: ${key} must be a positive integer, got ${cfg[key]}`);
  }
  if (cfg.dModel % cfg.heads !== 0) throw new Error(`model config: dModel ${cfg.dModel} is not divisible by heads ${cfg.heads}`);
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new Error(`model config: dropout must be in [0, 1), got ${cfg.dropout}`);
  if (!(cfg.layerNormEps > 0)) throw new Error(`model config: layerNormEps must be positive, got ${cfg.layerNormEps}`);
}

/** Parameter names and shapes in PyTorch state_dict order, with PyTorch's names. */
export function seedParameters(cfg: SeedModelConfig): ParamSpec[] {
  checkModelConfig(cfg);
  const { vocab, seqLen, dModel: d, dFF: f } = cfg;
  const params: ParamSpec[] = [
    { name: 'embedding.weight', shape: [vocab, d] },
    { name: 'pos_embedding.weight', shape: [seqLen, d] },
  ];
  for (let l = 0; l < cfg.layers; l++) {
    const p = `layers.${l}.`;
    params.push(
      { name: `${p}self_attn.in_proj_weight`, shape: [3 * d, d] },
      { name: `${p}self_attn.in_proj_bias`, shape: [3 * d] },
      { name: `${p}self_attn.out_proj.weight`, shape: [d, d] },
      { name: `${p}self_attn.out_proj.bias`, shape: [d] },
      { name: `${p}linear1.weight`, shape: [f, d] },
      { name: `${p}linear1.bias`, shape: [f] },
      { name: `${p}linear2.weight`, shape: [d, f] },
      { name: `${p}linear2.bias`, shape: [d] },
      { name: `${p}norm1.weight`, shape: [d] },
      { name: `${p}norm1.bias`, shape: [d] },
      { name: `${p}norm2.weight`, shape: [d] },
      { name: `${p}norm2.bias`, shape: [d] },
    );
  }
  params.push({ name: 'fc.weight', shape: [1, d] }, { name: 'fc.bias', shape: [1] });
  return params;
}

/** Total number of scalar parameters. */
export function parameterCount(params: readonly ParamSpec[]): number {
  return params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}
