// The `pipeline` command: dispatches to subcommands, turns errors into one clear line
// and a non-zero exit code.
import { PIPELINE_VERSION } from '../stages/lib/version.ts';
import { UsageError, type Command } from './command.ts';
import { ConfigError } from './config.ts';
import { runCommand } from './commands/run.ts';
import { runsCommand } from './commands/runs.ts';
import { statusCommand } from './commands/status.ts';

const COMMANDS: Command[] = [runCommand, statusCommand, runsCommand];

function overview(): string {
  return `pipeline ${PIPELINE_VERSION} — train small transformers and measure their local learning coefficient

usage: pipeline <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

\`pipeline <command> --help\` explains each command.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const cmd = COMMANDS.find((c) => c.name === rest[0]);
    process.stdout.write((cmd ? cmd.usage : overview()) + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write(`${PIPELINE_VERSION}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`pipeline: unknown command "${name}"\n\n${overview()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage + '\n');
    return 0;
  }
  try {
    return await cmd.main(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`pipeline ${cmd.name}: ${e.message}\n(see pipeline ${cmd.name} --help)\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`pipeline ${cmd.name}: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`pipeline ${cmd.name}: error: ${(e as Error).message}\n`);
    if (process.env.PIPELINE_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
