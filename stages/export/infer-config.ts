// The model's hyper-parameters read off a state_dict's shapes (all but the head count,
// which no shape shows), so a notebook's weights can be exported without a config file.
import type { SafeTensors } from '../../pipeline/lib/util/safetensors.ts';
import { requireTensor } from '../../pipeline/lib/util/safetensors.ts';
import { SEED_MODEL_CONFIG, type SeedModelConfig } from '../../pipeline/lib/model/config.ts';

export function configFromStateDict(tensors: SafeTensors, source: string, heads = SEED_MODEL_CONFIG.heads): SeedModelConfig {
  const [vocab, dModel] = requireTensor(tensors, 'embedding.weight', source).shape as [number, number];
  const [seqLen] = requireTensor(tensors, 'pos_embedding.weight', source).shape as [number];
  const [dFF] = requireTensor(tensors, 'layers.0.linear1.weight', source).shape as [number];
  let layers = 0;
  while (`layers.${layers}.linear1.weight` in tensors) layers++;
  if (dModel % heads !== 0) throw new Error(`${source}: d_model ${dModel} is not divisible by --heads ${heads}`);
  return { vocab, seqLen, dModel, heads, dFF, layers, dropout: SEED_MODEL_CONFIG.dropout, layerNormEps: SEED_MODEL_CONFIG.layerNormEps };
}
