// The files a stage wrote under a pattern against the ones it should have written.
import type { CheckContext } from '../context.ts';

/** `why` says where the expected list comes from, e.g. "train.steps = 20 with checkpoint_every = 10 gives 2 checkpoints". */
export function expectFiles(c: CheckContext, stage: string, actual: readonly string[], expected: readonly string[], why: string): void {
  const have = new Set(actual);
  const want = new Set(expected);
  for (const f of expected) if (!have.has(f)) c.fail(`${stage}/${f}`, `missing from ${stage}/manifest.json: ${why}`);
  for (const f of actual) if (!want.has(f)) c.fail(`${stage}/${f}`, `not expected: ${why}`);
}
