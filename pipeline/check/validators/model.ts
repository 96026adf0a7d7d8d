// The model a stage's model.json describes, as its parameter list.
import { ModelConfigFile } from '../../../schemas/training.ts';
import { seedParameters, type ParamSpec } from '../../lib/model/config.ts';
import type { CheckContext } from '../context.ts';

export function modelOf(c: CheckContext, file: string): { config: ModelConfigFile; params: ParamSpec[] } | undefined {
  const config = c.json(file, ModelConfigFile);
  if (!config) return undefined;
  const { schema: _s, schema_version: _v, ...cfg } = config;
  try {
    return { config, params: seedParameters(cfg) };
  } catch (e) {
    c.fail(file, (e as Error).message);
    return undefined;
  }
}
