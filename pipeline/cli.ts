// The `pipeline` command: dispatches to subcommands, turns errors into one clear line
// and a non-zero exit code.
import { PIPELINE_VERSION } from './lib/util/version.ts';
import { UsageError, type Command } from './command.ts';
import { ConfigError } from './config.ts';

interface Entry {
  name: string;
  summary: string;
  /** Loaded on use: some commands pull in tfjs and onnxruntime, which take a second to load. */
  load(): Promise<Command>;
}

const COMMANDS: Entry[] = [
  { name: 'run', summary: 'run stages of the pipeline (skipping fresh ones)', load: async () => (await import('./commands/run.ts')).runCommand },
  { name: 'worker', summary: 'take sampling shards from a Redis queue and run them on this host', load: async () => (await import('./commands/worker.ts')).workerCommand },
  { name: 'status', summary: 'show which stages of a run are fresh, stale (and why) or missing', load: async () => (await import('./commands/status.ts')).statusCommand },
  { name: 'runs', summary: 'list the runs with their dates and state', load: async () => (await import('./commands/runs.ts')).runsCommand },
  { name: 'check', summary: 'validate every artifact of a run: schemas, hashes, values, counts, chained manifests', load: async () => (await import('./commands/check.ts')).checkCommand },
  { name: 'export', summary: "turn a PyTorch state_dict (safetensors) into the pipeline's ONNX model", load: async () => (await import('./commands/export.ts')).exportCommand },
  { name: 'llc', summary: 'estimate the local learning coefficient λ̂ of any ONNX model on a dataset', load: async () => (await import('./commands/llc.ts')).llcCommand },
  { name: 'selftest', summary: 'check the λ̂ estimator on models with a known learning coefficient', load: async () => (await import('./commands/selftest.ts')).selftestCommand },
  { name: 'doctor', summary: 'which onnxruntime providers and tfjs backends load here, which the stages choose, and fixes', load: async () => (await import('./commands/doctor.ts')).doctorCommand },
  { name: 'diff', summary: 'compare two runs: config differences, metric deltas, overlaid curves (HTML or --json)', load: async () => (await import('./commands/diff.ts')).diffCommand },
];

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
    const entry = COMMANDS.find((c) => c.name === rest[0]);
    process.stdout.write((entry ? (await entry.load()).usage : overview()) + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write(`${PIPELINE_VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`pipeline: unknown command "${name}"\n\n${overview()}\n`);
    return 2;
  }
  const cmd = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage + '\n');
    return 0;
  }
  try {
    return await cmd.main(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`pipeline ${name}: ${e.message}\n(see pipeline ${name} --help)\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`pipeline ${name}: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`pipeline ${name}: error: ${(e as Error).message}\n`);
    if (process.env.PIPELINE_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
