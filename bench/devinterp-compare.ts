// `npm run devinterp -- [--cases a,b] [--seeds 8] [--devinterp-seeds 8] [--devinterp-src DIR]
// [--python PATH] [--write FILE] [--references FILE]`: λ̂ of `pipeline llc` against devinterp
// 1.3.2's on the fixtures, each side pooled over seeds (`--seeds` runs of ours,
// `--devinterp-seeds` of devinterp, each of the case's num_chains chains). Per case: each side's
// mean of run means ± its standard error (the sd of the run means over √runs, so init_loss's
// own error counts), z = difference over the combined standard error, and the same after
// re-referencing every run's λ̂ to the loss on all rows, λ̂ + nβ·(init_loss − L_n), which
// leaves the sampling alone; then Stouffer's pooled z = Σz/√cases (leans of one sign) and
// Σz² (χ² with `cases` degrees of freedom if the two agree: leans of either sign). devinterp runs through
// bench/devinterp/devinterp_llc.py when --devinterp-src (or $DEVINTERP_SRC) names devinterp's
// src/ folder, else its runs are read from --references (default: the committed
// test/fixtures/devinterp-pooled.json, which --write makes). docs/devinterp-agreement.md has
// the tables this printed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { DEVINTERP_CASES, DevinterpPooled, caseArgs, type DevinterpCase, type DevinterpRun } from '../test/helpers/devinterp-pooled.ts';
import { defaultNbeta } from '../pipeline/lib/sgld/llc-estimator.ts';
import { mean, meanStd } from '../pipeline/lib/util/moments.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const REFERENCES = join(ROOT, 'test/fixtures/devinterp-pooled.json');
const { values } = parseArgs({
  options: {
    cases: { type: 'string' },
    seeds: { type: 'string', default: '8' },
    'devinterp-seeds': { type: 'string', default: '8' },
    'devinterp-src': { type: 'string', default: process.env.DEVINTERP_SRC },
    python: { type: 'string', default: '/usr/bin/python3' },
    write: { type: 'string' },
    references: { type: 'string', default: REFERENCES },
  },
});
const count = (flag: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2) throw new Error(`--${flag} ${v}: expected an integer ≥ 2 (a standard error needs two runs)`);
  return n;
};
const seeds = count('seeds', values.seeds!);
const devinterpSeeds = count('devinterp-seeds', values['devinterp-seeds']!);
const names = values.cases?.split(',') ?? DEVINTERP_CASES.map((c) => c.name);
const unknown = names.filter((n) => !DEVINTERP_CASES.some((c) => c.name === n));
if (unknown.length) throw new Error(`--cases ${unknown.join(',')}: expected some of ${DEVINTERP_CASES.map((c) => c.name).join(', ')}`);
const cases = DEVINTERP_CASES.filter((c) => names.includes(c.name));

const references = values['devinterp-src'] ? undefined : DevinterpPooled.parse(JSON.parse(readFileSync(values.references!, 'utf8')));
const work = mkdtempSync(join(tmpdir(), 'devinterp-compare-'));

async function ours(c: DevinterpCase, seed: number): Promise<Omit<DevinterpRun, 'full_loss'>> {
  const out = join(work, `${c.name.replace('/', '-')}-${seed}.json`);
  await execa(process.execPath, [join(ROOT, 'bin/pipeline.mjs'), 'llc', ...caseArgs(c, ROOT), '--seed', String(seed), '--out', out], { cwd: ROOT });
  const s = JSON.parse(readFileSync(out, 'utf8')) as { init_loss: number; llc_per_chain: (number | null)[] };
  if (s.llc_per_chain.some((v) => v === null)) throw new Error(`${c.name} seed ${seed}: a chain of ours diverged`);
  return { seed, init_loss: s.init_loss, llc_per_chain: s.llc_per_chain as number[] };
}

async function devinterp(c: DevinterpCase, seed: number): Promise<DevinterpRun> {
  const settings = join(work, 'settings.json');
  writeFileSync(settings, JSON.stringify(c.settings));
  const r = await execa(values.python!, ['-W', 'ignore', join(ROOT, 'bench/devinterp/devinterp_llc.py'), 'sample', c.family, settings, String(seed)], {
    cwd: ROOT,
    env: { PYTHONPATH: values['devinterp-src']! },
  });
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as DevinterpRun;
}

interface Side {
  mean: number;
  se: number;
  chainSd: number;
}

/** Mean of run means ± sd(run means)/√runs, and the mean within-run chain sd. */
function pool(runs: readonly { llc_per_chain: number[] }[], shift: (r: number) => number = () => 0): Side {
  const means = runs.map((r, i) => mean(r.llc_per_chain) + shift(i));
  return { mean: mean(means), se: meanStd(means).std / Math.sqrt(means.length), chainSd: mean(runs.map((r) => meanStd(r.llc_per_chain).std)) };
}

const zOf = (a: Side, b: Side) => (a.mean - b.mean) / Math.hypot(a.se, b.se);
const fmt = (s: Side) => `${s.mean.toFixed(3)} ± ${s.se.toFixed(3)}`;

const written: DevinterpPooled = { devinterp: '1.3.2', cases: [] };
const zs: number[] = [];
const zsShifted: number[] = [];
process.stdout.write(`λ̂: pipeline llc (${seeds} seeds) against devinterp 1.3.2 (${references ? `runs from ${values.references}` : `${devinterpSeeds} seeds`}), mean ± se over runs\n`);
process.stdout.write('case | ours | devinterp | z | chain sd ours / devinterp | re-referenced to L_n: ours | devinterp | z\n');
try {
  for (const c of cases) {
    const theirs = references ? references.cases.find((r) => r.name === c.name)?.runs : [];
    if (!theirs) throw new Error(`${values.references} holds no runs of case ${c.name}: make them with --devinterp-src`);
    // The two sides in parallel: each runs single-threaded.
    const mine: Awaited<ReturnType<typeof ours>>[] = [];
    await Promise.all([
      (async () => {
        if (!references) for (let s = 0; s < devinterpSeeds; s++) theirs.push(await devinterp(c, s));
      })(),
      (async () => {
        for (let s = 0; s < seeds; s++) mine.push(await ours(c, s));
      })(),
    ]);
    written.cases.push({ name: c.name, runs: theirs });
    const nbeta = c.settings.nbeta === 'auto' ? defaultNbeta(c.settings.batch_size) : c.settings.nbeta;
    const fullLoss = theirs[0]!.full_loss;
    const [a, b] = [pool(mine), pool(theirs)];
    const [aN, bN] = [pool(mine, (i) => nbeta * (mine[i]!.init_loss - fullLoss)), pool(theirs, (i) => nbeta * (theirs[i]!.init_loss - fullLoss))];
    zs.push(zOf(a, b));
    zsShifted.push(zOf(aN, bN));
    process.stdout.write(`${c.name} | ${fmt(a)} | ${fmt(b)} | ${zs.at(-1)!.toFixed(2)} | ${a.chainSd.toFixed(3)} / ${b.chainSd.toFixed(3)} | ${fmt(aN)} | ${fmt(bN)} | ${zsShifted.at(-1)!.toFixed(2)}\n`);
  }
  const stouffer = (z: number[]) => z.reduce((x, y) => x + y, 0) / Math.sqrt(z.length);
  const squares = (z: number[]) => z.reduce((x, y) => x + y * y, 0).toFixed(1);
  process.stdout.write(`pooled z (Stouffer, ${zs.length} cases): ${stouffer(zs).toFixed(2)}; re-referenced: ${stouffer(zsShifted).toFixed(2)}\n`);
  process.stdout.write(`Σz² (χ² with ${zs.length} degrees of freedom if the two agree): ${squares(zs)}; re-referenced: ${squares(zsShifted)}\n`);
  if (values.write) {
    writeFileSync(values.write, JSON.stringify(DevinterpPooled.parse(written), null, 2) + '\n');
    process.stdout.write(`devinterp's runs → ${values.write}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
