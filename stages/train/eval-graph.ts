// Evaluation for the onnxruntime engine: MSE and MAE of the eval-mode network (no dropout)
// at the flat weights w [P] on a whole split, as one graph.
import { GraphBuilder, attr, modelOf } from '../../pipeline/lib/onnx/builder.ts';
import { DataType, OPSET, type Model } from '../../pipeline/lib/onnx/ir.ts';
import { parameterCount, seedParameters, type SeedModelConfig } from '../../pipeline/lib/model/config.ts';
import { flatWeights } from '../../pipeline/lib/model/flat-weights.ts';
import { seedForward } from '../../pipeline/lib/model/seed-model.ts';
import { lowerForOnnxruntime, optimizeForward } from '../../pipeline/lib/sgld/optimize.ts';

export const EVAL_IO = { params: 'params', tokens: 'tokens', targets: 'targets', mse: 'mse', mae: 'mae' } as const;

export function buildEvalGraph(cfg: SeedModelConfig): Model {
  const g = new GraphBuilder('evaluate');
  const params = g.input(EVAL_IO.params, DataType.FLOAT, [parameterCount(seedParameters(cfg))]);
  const tokens = g.input(EVAL_IO.tokens, DataType.INT64, ['rows', cfg.seqLen]);
  const targets = g.input(EVAL_IO.targets, DataType.FLOAT, ['rows', cfg.seqLen]);
  const weight = flatWeights(g, seedParameters(cfg), params, { lead: [], keepLead: false });
  const diff = g.op('Sub', [seedForward(g, cfg, tokens, { training: false, weight }), targets]);
  const mean = (x: string, output: string) => g.op('ReduceMean', [x], { keepdims: attr.int(0) }, { outputs: [output] });
  mean(g.op('Mul', [diff, diff]), EVAL_IO.mse);
  mean(g.op('Abs', [diff]), EVAL_IO.mae);
  g.output(EVAL_IO.mse, DataType.FLOAT, []);
  g.output(EVAL_IO.mae, DataType.FLOAT, []);
  return modelOf(lowerForOnnxruntime(optimizeForward(g.build(), OPSET), OPSET));
}
