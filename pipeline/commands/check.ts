// `pipeline check`: validates every artifact of a run and lists every failure.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkRun } from '../check/check-run.ts';
import { RUN_FLAGS_HELP, parse, runFlags, type Command } from '../command.ts';
import { artifactsRoot, resolveRunId } from '../runs.ts';

export const checkCommand: Command = {
  usage: `pipeline check [--run <id>] [--json]

Validates every artifact of a run: run.json and config.json against their schemas; for each
finished stage its manifest, every output's size and sha256, the inputs it recorded against
the upstream manifests and files, and the content of every output — JSON against its
schema, safetensors with the expected names, shapes and dtypes and finite values (tokens in
the vocabulary, targets in [0, 1]), ONNX models that decode and hold their checkpoint's
weights, and the counts (checkpoints per train.steps, one model per checkpoint, one
estimate per model). Stages not run are warnings, unless a finished stage depends on them;
leftover *.partial folders are reported.

Prints one line per failure and per warning, naming the file, then a summary. Exits 0
when nothing failed, 1 otherwise.

Options:
${RUN_FLAGS_HELP.replace('(default for `run`: a new dated id; `latest` names the newest run)', '(default: latest)')}
  --json              print the findings as JSON
  -h, --help          this text`,

  async main(argv) {
    const { values } = parse(argv, { ...runFlags, json: { type: 'boolean' } });
    const root = artifactsRoot(values.artifacts);
    const runId = resolveRunId(root, values.run ?? 'latest');
    const runDir = join(root, runId);
    if (!existsSync(runDir)) throw new Error(`run ${runId} does not exist under ${root}`);
    const result = checkRun(runDir);
    const failures = result.findings.filter((f) => f.level === 'failure');
    const warnings = result.findings.filter((f) => f.level === 'warning');
    if (values.json) {
      const strip = ({ file, message }: { file: string; message: string }) => ({ file, message });
      process.stdout.write(JSON.stringify({ run: result.run, dir: result.dir, ok: failures.length === 0, failures: failures.map(strip), warnings: warnings.map(strip), stages: result.stages }, null, 2) + '\n');
    } else {
      for (const f of [...failures, ...warnings]) process.stdout.write(`${f.level === 'failure' ? 'error' : 'warning'}: ${f.file}: ${f.message}\n`);
      const checked = result.stages.filter((s) => s.state === 'checked');
      const files = checked.reduce((n, s) => n + s.files, 0);
      const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
      const verdict = failures.length ? `FAILED, ${plural(failures.length, 'failure')}` : 'ok';
      process.stdout.write(`run ${result.run}: ${verdict}, ${plural(warnings.length, 'warning')}; ${plural(files, 'file')} in ${plural(checked.length, 'stage')} checked (${checked.map((s) => s.stage).join(', ') || 'none'})\n`);
    }
    return failures.length ? 1 : 0;
  },
};
