// The shape of a `pipeline` subcommand and the helpers they share for arguments.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  usage: string;
  /** Returns the process exit code. */
  main(argv: string[]): Promise<number>;
}

/** Thrown for bad command lines: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with --help, and errors that say which flag is wrong. */
export function parse<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Shared flags of commands that work on a run. */
export const runFlags = {
  run: { type: 'string' },
  artifacts: { type: 'string' },
} as const;

export const configFlags = {
  preset: { type: 'string' },
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
} as const;

/** The config sources named by configFlags. */
export function configSources(values: { preset?: string | undefined; config?: string | undefined; set?: string[] | undefined }) {
  return { preset: values.preset, file: values.config, sets: values.set };
}

export const RUN_FLAGS_HELP = `  --run <id>          the run (default for \`run\`: a new dated id; \`latest\` names the newest run)
  --artifacts <dir>   artifacts root (default: $PIPELINE_ARTIFACTS or ./artifacts)`;

export const CONFIG_FLAGS_HELP = `  --preset <name>     a shipped config preset (pipeline/presets/<name>.yaml; smoke: the whole pipeline in a minute; notebook: the notebook's exact run)
  --config <file>     a JSON or YAML file of config sections, applied over the run's saved config (or the defaults) and the preset
  --set s.key=value   set one config key (repeatable), e.g. --set train.steps=1000`;
