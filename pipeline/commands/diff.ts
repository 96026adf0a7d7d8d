// `pipeline diff <runA> <runB>`: config differences, metric deltas and overlaid curves of
// two runs, as a self-contained HTML page or (--json) as facts for scripts.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../lib/util/atomic.ts';
import { configPath } from '../lib/stage/run-dir.ts';
import { diffFacts, diffPage } from '../../stages/report/diff.ts';
import { count } from '../../stages/report/format.ts';
import { readRun } from '../../stages/report/run-data.ts';
import { UsageError, parse, type Command } from '../command.ts';
import { artifactsRoot, resolveRunId } from '../runs.ts';

export const diffCommand: Command = {
  usage: `pipeline diff <runA> <runB> [--out <file>] [--json] [--artifacts <dir>]

Compares two runs: the config keys that differ (key, A, B), the final train/test MAE and
loss, λ̂ per checkpoint and its mean, the calibration λ̂ and the sweep's final λ̂ per grid
point (A, B, B − A), stage timings, and the curves of both runs overlaid (MAE, loss, λ̂ per
checkpoint, sweep). A stage one run lacks is reported; its numbers are null.
\`latest\` names the newest run.

Options:
  --out <file>        where to write the HTML page (default: <artifacts>/diff-<runA>-vs-<runB>.html,
                      beside the runs; with --json, only written when given)
  --json              print the comparison as JSON on stdout
  --artifacts <dir>   artifacts root (default: $PIPELINE_ARTIFACTS or ./artifacts)
  -h, --help          this text`,

  async main(argv) {
    const { values, positionals } = parse(argv, { out: { type: 'string' }, json: { type: 'boolean' }, artifacts: { type: 'string' } }, true);
    if (positionals.length !== 2) throw new UsageError(`name exactly two runs to compare (got ${positionals.length})`);
    const root = artifactsRoot(values.artifacts);
    const read = (id: string) => {
      const runId = resolveRunId(root, id);
      const runDir = join(root, runId);
      if (!existsSync(configPath(runDir))) throw new Error(`run ${runId} does not exist under ${root}`);
      return readRun(runDir);
    };
    const a = read(positionals[0]!);
    const b = read(positionals[1]!);
    const facts = diffFacts(a, b);
    if (values.json) process.stdout.write(JSON.stringify(facts, null, 2) + '\n');
    if (!values.json || values.out) {
      const out = resolve(values.out ?? join(root, `diff-${a.id}-vs-${b.id}.html`));
      writeFileAtomic(out, await diffPage(a, b, facts));
      process.stderr.write(`diff of ${a.id} and ${b.id}: ${count(facts.config.length, 'config key')} differ${facts.config.length === 1 ? 's' : ''}; written to ${out}\n`);
    }
    return 0;
  },
};
