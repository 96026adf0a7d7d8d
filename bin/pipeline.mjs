#!/usr/bin/env node
// Entry point of the `pipeline` command: registers tsx (its ESM and CommonJS hooks, as
// `node --import tsx` does) so the TypeScript sources run as they are, with no build step.
import 'tsx';

await import('../pipeline/cli.ts');
