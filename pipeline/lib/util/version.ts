import { readFileSync } from 'node:fs';

/** The version in package.json, recorded in every manifest. */
export const PIPELINE_VERSION: string = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version;
