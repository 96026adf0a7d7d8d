#!/usr/bin/env node
// Entry point of the `pipeline` command: registers tsx so the TypeScript sources run as
// they are, with no build step to remember.
import { register } from 'tsx/esm/api';

register();
await import('../pipeline/cli.ts');
