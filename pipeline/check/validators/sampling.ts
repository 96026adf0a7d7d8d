// What every sampling stage (estimate, sweep, calibration) writes beside its results: trace
// files of [chains, draws] and health.json.
import { Health } from '../../../schemas/health.ts';
import type { CheckContext } from '../context.ts';
import { expectFinite, expectTensor, firstNonFinite, position } from '../tensors.ts';
import { DIAGNOSTICS } from '../../lib/sgld/update.ts';
import { expectFiles } from './files.ts';

export interface TraceSpec {
  /** Relative to the stage folder. */
  trace: string;
  /** Chains the stage marked diverged: their rows turn NaN from the divergence on. */
  diverged: readonly { chain: number }[];
}

/** `loss` and `llc` [chains, draws], finite outside diverged chains; `llc_mean` [draws],
 * finite unless every chain diverged, and `llc_std`, finite with two chains or more left. */
export function checkTrace(c: CheckContext, file: string, chains: number, draws: number, diverged: TraceSpec['diverged']): void {
  const tensors = c.tensors(file);
  if (!tensors) return;
  const marked = new Set(diverged.map((d) => d.chain));
  for (const name of ['loss', 'llc']) {
    const t = expectTensor(c, file, tensors, name, 'F32', [chains, draws]);
    for (let chain = 0; t && chain < chains; chain++) {
      const i = marked.has(chain) ? -1 : firstNonFinite(t.data, chain * draws, (chain + 1) * draws);
      if (i >= 0) c.fail(file, `tensor "${name}" holds ${t.data[i]} at ${position(t.shape, i)}, but chain ${chain} is not marked diverged`);
    }
  }
  // Chain diagnostics (absent from traces written before they were measured): [chains, draws].
  for (const name of DIAGNOSTICS) if (tensors[name]) expectTensor(c, file, tensors, name, 'F32', [chains, draws]);
  const kept = chains - marked.size;
  for (const [name, needs] of [['llc_mean', 1], ['llc_std', 2]] as const) {
    const t = expectTensor(c, file, tensors, name, 'F32', [draws]);
    if (t && kept >= needs) expectFinite(c, file, name, t);
  }
}

/** The stage's traces: exactly the files its results name, each well-formed. */
export function checkTraces(c: CheckContext, stage: string, specs: readonly TraceSpec[], chains: number, draws: number, source: string): void {
  const listed = c.outputs(stage).filter((f) => /^(seed-\d+\/)?traces\//.test(f) || specs.some((s) => s.trace === f));
  expectFiles(c, stage, listed, specs.map((s) => s.trace), `${source} names ${specs.length} trace files`);
  for (const s of specs) if (listed.includes(s.trace)) checkTrace(c, `${stage}/${s.trace}`, chains, draws, s.diverged);
}

/** health.json: one entry per estimate, of the stage's size. */
export function checkHealth(c: CheckContext, stage: string, estimates: number, chains: number, draws: number): void {
  const file = `${stage}/health.json`;
  if (!c.outputs(stage).includes('health.json')) {
    c.warn(file, 'missing: the stage recorded no sampler diagnostics');
    return;
  }
  const health = c.json(file, Health);
  if (!health) return;
  if (health.estimates.length !== estimates) c.fail(file, `holds ${health.estimates.length} estimates, the stage made ${estimates}`);
  const odd = health.estimates.find((e) => e.chains !== chains || e.draws !== draws);
  if (odd) c.fail(file, `"${odd.label}" has ${odd.chains} chains × ${odd.draws} draws, the stage ran ${chains} × ${draws}`);
}

/** A model the sampling stage names must be one the export stage wrote. */
export function expectExportedModel(c: CheckContext, file: string, model: string): void {
  if (c.manifests.has('export') && !c.outputs('export').includes(model)) c.fail(file, `names model ${model}, which the export stage did not write`);
}
