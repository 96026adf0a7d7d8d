// The code version of sampling shards (versions.ts): shard-runner.ts and all it imports.
import { versionOf } from './versions.ts';

export const samplingVersion = () => versionOf(new URL('./shard-runner.ts', import.meta.url));
