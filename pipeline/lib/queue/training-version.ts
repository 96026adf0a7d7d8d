// The code version of training shards (versions.ts): train-runner.ts and all it imports.
import { versionOf } from './versions.ts';

export const trainingVersion = () => versionOf(new URL('./train-runner.ts', import.meta.url));
