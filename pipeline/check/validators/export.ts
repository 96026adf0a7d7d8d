// export: one ONNX model per training checkpoint of every seed, each decodable and holding
// that checkpoint's weights, finite, as its initializers.
import type { Manifest } from '../../../schemas/manifest.ts';
import { CHECKPOINT_PATTERN, MODEL_PATTERN, checkpointName, modelName } from '../../../schemas/training.ts';
import { DataType } from '../../lib/onnx/ir.ts';
import type { ParamSpec } from '../../lib/model/config.ts';
import type { CheckContext } from '../context.ts';
import { firstNonFinite, position } from '../tensors.ts';
import { expectFiles } from './files.ts';
import { modelOf } from './model.ts';

function checkModel(c: CheckContext, file: string, checkpoint: string, params: readonly ParamSpec[]): void {
  const model = c.onnx(file);
  if (!model) return;
  const inits = new Map(model.graph.initializers.map((i) => [i.name, i]));
  // A changed checkpoint is reported as such; comparing with it would blame the model too.
  const weights = c.intact(checkpoint) ? c.tensors(checkpoint) : undefined;
  for (const p of params) {
    const init = inits.get(p.name);
    if (!init) c.fail(file, `no initializer "${p.name}"`);
    else if (init.dataType !== DataType.FLOAT || init.dims.join() !== p.shape.join()) {
      c.fail(file, `initializer "${p.name}" is ${DataType[init.dataType]} [${init.dims.join(', ')}], expected FLOAT [${p.shape.join(', ')}]`);
    } else {
      const bad = firstNonFinite(init.data);
      const w = weights?.[p.name]?.data;
      const differs = w && w.length === init.data.length ? init.data.findIndex((v, i) => v !== w[i]) : -1;
      if (bad >= 0) c.fail(file, `initializer "${p.name}" holds ${init.data[bad]} at ${position(p.shape, bad)}`);
      else if (differs >= 0) c.fail(file, `initializer "${p.name}"${position(p.shape, differs)} = ${init.data[differs]} differs from ${checkpoint} (${w![differs]})`);
    }
  }
}

export function checkExport(c: CheckContext, _m: Manifest): void {
  const model = modelOf(c, 'export/model.json');
  if (model && c.intact('train/model.json') && c.sha('export/model.json') !== c.sha('train/model.json')) c.fail('export/model.json', 'differs from train/model.json');
  const models = c.outputs('export').filter((f) => MODEL_PATTERN.test(f));
  const checkpoints = c.outputs('train').flatMap((f) => {
    const m = CHECKPOINT_PATTERN.exec(f);
    return m ? [modelName(Number(m[1]), Number(m[2]))] : [];
  });
  if (c.manifests.has('train')) expectFiles(c, 'export', models, checkpoints, `one model per checkpoint of the train stage (${checkpoints.length})`);
  if (!model) return;
  for (const f of models) {
    const m = MODEL_PATTERN.exec(f)!;
    checkModel(c, `export/${f}`, `train/${checkpointName(Number(m[1]), Number(m[2]))}`, model.params);
  }
}
