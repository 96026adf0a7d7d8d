// The code version a shard names: the sha256 of the worker code that computes it — its
// runner and every module the runner imports — with the lockfile, package versions and Node.
// A worker listens only on the queues of its own versions, so it never runs a shard it could
// not reproduce. Sampling and training have versions of their own (sampling-version.ts,
// training-version.ts), so that a stage's code fingerprint takes in only its own runner.
import { fileURLToPath } from 'node:url';
import { codeFingerprint } from '../stage/code-fingerprint.ts';
import { sha256 } from '../util/hash.ts';

export function versionOf(runner: URL): string {
  return sha256(JSON.stringify(codeFingerprint(fileURLToPath(runner)))).slice(0, 16);
}
