// The config section a stage ran with, as its manifest records it.
import type { z } from 'zod';
import type { Manifest } from '../../../schemas/manifest.ts';
import type { CheckContext } from '../context.ts';

/** manifest.config[section] parsed with the section's schema; a failure when it does not parse. */
export function manifestSection<T extends z.ZodTypeAny>(c: CheckContext, stage: string, m: Manifest, section: string, schema: T): z.infer<T> | undefined {
  const r = schema.safeParse(m.config[section]);
  if (r.success) return r.data;
  c.fail(`${stage}/manifest.json`, `config.${section} is not a valid ${section} config: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return undefined;
}
