// `pipeline selftest`: the λ̂ estimator against theory — models with a known learning
// coefficient (pipeline/lib/sgld/known-lambda.ts), sampled through the same path as `pipeline llc`
// (import, weight selection, SGLD graph), each with settings that suit it.
import { importOnnxModel } from '../lib/sgld/sampled-model.ts';
import { resolveDevice } from '../lib/sgld/device.ts';
import { normalCrossing, reducedRankRegression, type KnownLambdaCase } from '../lib/sgld/known-lambda.ts';
import { runLlc, type LlcSettings } from '../lib/sgld/estimate-llc.ts';
import { SAMPLER_DEFAULTS } from '../lib/sgld/sessions.ts';
import { UsageError, parse, type Command } from '../command.ts';

/** Relative error allowed for every model (devinterp's own test allows 40 %). */
export const TOLERANCE = 0.1;
/** Standard errors within which a λ̂ counts as agreeing with λ when it is beyond TOLERANCE. */
export const SE_BOUND = 2;

/** λ̂ within TOLERANCE of λ, or within SE_BOUND standard errors of it. */
export function withinBounds(llc: number, se: number | null, lambda: number): boolean {
  return Math.abs(llc - lambda) <= Math.max(TOLERANCE * lambda, se === null ? 0 : SE_BOUND * se);
}
const ROWS = 1000;
const CHAINS = 8;
const DRAWS = 1000;

interface SelftestCase {
  make: (seed: number) => KnownLambdaCase;
  /** SGLD step size and localization that suit the model. */
  lr: number;
  localization: number;
  quick: boolean;
}

// The most singular point (r = 0) needs a larger step to leave it; the normal crossing's
// flat directions need no localization.
const CASES: SelftestCase[] = [
  { make: (seed) => reducedRankRegression(3, 3, 3, 1, ROWS, seed), lr: 1e-4, localization: 1, quick: true },
  { make: (seed) => reducedRankRegression(5, 2, 3, 1, ROWS, seed), lr: 1e-4, localization: 1, quick: false },
  { make: (seed) => reducedRankRegression(2, 5, 4, 1, ROWS, seed), lr: 1e-4, localization: 1, quick: false },
  { make: (seed) => reducedRankRegression(6, 6, 4, 2, ROWS, seed), lr: 1e-4, localization: 1, quick: false },
  { make: (seed) => reducedRankRegression(4, 3, 2, 0, ROWS, seed), lr: 3e-4, localization: 1, quick: false },
  { make: (seed) => normalCrossing([1, 2], ROWS, seed), lr: 1e-3, localization: 0, quick: true },
];

export interface SelftestRow {
  model: string;
  lambda: number;
  llc_mean: number | null;
  llc_se: number | null;
  relative_error: number | null;
  ok: boolean;
}

export const selftestCommand: Command = {
  usage: `pipeline selftest [--quick] [--seed <n>] [--device auto|cpu|cuda] [--json]

Checks the λ̂ estimator against theory: models whose learning coefficient λ is known —
reduced-rank regression (Aoyagi & Watanabe 2005) for several sizes and ranks, and the
normal crossing y = x·w₁·w₂² (λ = 1/4) — are built as ONNX graphs with data from their true
parameter (noise variance ½, so nβ = rows × outputs is β = 1), and sampled as \`pipeline llc\`
samples (${CHAINS} chains × ${DRAWS} draws, full batches of ${ROWS} rows). Prints true λ, λ̂ ± its
standard error over chains and the relative error per model; exits 1 when any model is
more than ${TOLERANCE * 100} % off and more than ${SE_BOUND} standard errors off (the normal
crossing's chains are heavy-tailed: its se can exceed ${TOLERANCE * 100} % of λ).

Options:
  --quick               two models only (what npm test runs)
  --seed <n>            seed of the data and the chains (default 0)
  --device <d>          auto | cpu | cuda (default auto)
  --json                print the rows as JSON
  -h, --help            this text`,

  async main(argv) {
    const { values } = parse(argv, { quick: { type: 'boolean' }, seed: { type: 'string' }, device: { type: 'string' }, json: { type: 'boolean' } });
    const seed = Number(values.seed ?? 0);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed ${values.seed}: expected a non-negative integer`);
    const choice = values.device ?? 'auto';
    if (choice !== 'auto' && choice !== 'cpu' && choice !== 'cuda') throw new UsageError(`--device ${choice}: expected auto, cpu or cuda`);
    const { device, reason } = await resolveDevice(choice);
    if (!values.json) process.stderr.write(`selftest: device ${device} (${reason}), tolerance ${TOLERANCE * 100} % relative or ${SE_BOUND} standard errors\n`);
    const rows: SelftestRow[] = [];
    for (const c of CASES.filter((k) => k.quick || !values.quick)) {
      const known = c.make(seed);
      const imported = importOnnxModel(known.model, known.name);
      // Every knob set here: the selftest's numbers do not move with the estimate stage's defaults.
      const settings: LlcSettings = { lr: c.lr, localization: c.localization, nbeta: ROWS * known.outputs, weight_decay: 0, noise_level: 1, num_chains: CHAINS, num_draws: DRAWS, num_burnin_steps: DRAWS / 5, num_steps_bw_draws: 1, batch_size: ROWS, seed, sampler: 'sgld', init_loss: 'full' };
      const [r] = await runLlc(imported.model, [{ w0: imported.w0, key: 0 }], { x: known.x, y: known.y }, settings, { ...SAMPLER_DEFAULTS, device, stepsPerRun: 100 });
      const { llcMean, llcStd } = r!.estimate;
      const relative = llcMean === null ? null : (llcMean - known.lambda) / known.lambda;
      const row: SelftestRow = {
        model: known.name,
        lambda: known.lambda,
        llc_mean: llcMean,
        llc_se: llcStd === null ? null : llcStd / Math.sqrt(CHAINS - r!.divergences.length),
        relative_error: relative,
        ok: llcMean !== null && withinBounds(llcMean, llcStd === null ? null : llcStd / Math.sqrt(CHAINS - r!.divergences.length), known.lambda) && r!.divergences.length === 0,
      };
      rows.push(row);
      if (!values.json) {
        const est = llcMean === null ? 'every chain diverged' : `λ̂ ${llcMean.toFixed(3)} ± ${row.llc_se?.toFixed(3) ?? '—'}`;
        process.stdout.write(`${row.ok ? 'ok  ' : 'FAIL'}  ${known.name.padEnd(44)} λ ${known.lambda.toFixed(3).padStart(7)}   ${est.padEnd(20)} ${relative === null ? '' : `${(100 * relative).toFixed(1)} %`}\n`);
      }
    }
    if (values.json) process.stdout.write(JSON.stringify({ tolerance: TOLERANCE, rows }, null, 2) + '\n');
    const failed = rows.filter((r) => !r.ok).length;
    const bounds = `${TOLERANCE * 100} % or ${SE_BOUND} se`;
    if (!values.json) process.stdout.write(failed ? `${failed} of ${rows.length} models outside ${bounds}\n` : `all ${rows.length} models within ${bounds}\n`);
    return failed ? 1 : 0;
  },
};
