// The report's tables: config, stages (devices, timings), tools, and the per-estimate
// numbers behind the charts.
import { ConfigSchema, type Config } from '../../schemas/config.ts';
import type { CheckpointEstimate } from '../../schemas/estimate.ts';
import type { EstimateHealth, Health } from '../../schemas/health.ts';
import type { Manifest } from '../../schemas/manifest.ts';
import type { Sweep } from '../../schemas/sweep.ts';
import { ESS_RATIO_LIMIT, MALA_ACCEPTANCE_LIMIT, R_HAT_LIMIT, WANDER_LIMIT } from '../../pipeline/lib/health/estimate-health.ts';
import { count, duration, int, num, when } from './format.ts';
import { html, table, type Html } from './html.ts';
import { SHOWN_STAGES, type ShownStage } from './run-data.ts';
import { seNote, type WithSe } from './uncertainty.ts';

/** "section.key" → value, in schema order. */
export function flattenConfig(config: Config): Map<string, unknown> {
  return new Map(Object.entries(config).flatMap(([section, keys]) => Object.entries(keys as Record<string, unknown>).map(([k, v]) => [`${section}.${k}`, v] as const)));
}

export const showValue = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '—');

/** One small table per config section; a value that differs from the default is bold, with the default beside it. */
export function configTables(config: Config): Html {
  const defaults = ConfigSchema.parse({});
  const sections = Object.entries(config).map(([section, keys]) => {
    const rows = Object.entries(keys as Record<string, unknown>).map(([k, v]) => {
      const d = (defaults[section as keyof Config] as Record<string, unknown>)[k];
      const same = JSON.stringify(v) === JSON.stringify(d);
      return [html`<code>${k}</code>`, same ? showValue(v) : html`<b>${showValue(v)}</b> <span class="muted">(default ${showValue(d)})</span>`];
    });
    return html`<div><h4>${section}</h4>${table(['key', 'value'], rows)}</div>`;
  });
  return html`<div class="config-grid">${sections}</div>`;
}

const runtimeOf = (m: Manifest, key: string) => (typeof m.runtime[key] === 'string' ? (m.runtime[key] as string) : '—');

export function stagesTable(manifests: Partial<Record<ShownStage, Manifest>>): Html {
  const rows = SHOWN_STAGES.map((stage) => {
    const m = manifests[stage];
    if (!m) return [stage, 'not run', '', '', '', ''];
    return [stage, when(m.started_at), duration(m.duration_s), runtimeOf(m, 'tfjs_backend'), runtimeOf(m, 'device'), `${m.host.hostname} (${m.host.cpus} × ${m.host.cpu_model})`];
  });
  return table(['stage', 'started', 'took', 'tfjs backend', 'onnxruntime device', 'host'], rows, [2]);
}

/** Which engine trained and why (manifests from before the onnxruntime engine: tfjs). */
export function trainingEngine(train: Manifest | undefined): Html {
  if (!train) return html``;
  const engine = runtimeOf(train, 'engine');
  const reason = runtimeOf(train, 'engine_reason');
  return html`<p>Training engine: <b>${engine === '—' ? 'tfjs' : engine}</b>${reason === '—' ? '' : html` — ${reason}`}.</p>`;
}

/** One row per tool; a tool whose version differs between stages lists each. */
export function toolsTable(manifests: Partial<Record<ShownStage, Manifest>>): Html {
  const tools = new Map<string, Map<string, ShownStage[]>>();
  for (const stage of SHOWN_STAGES) {
    for (const [tool, version] of Object.entries(manifests[stage]?.tools ?? {})) {
      const versions = tools.get(tool) ?? new Map<string, ShownStage[]>();
      versions.set(version, [...(versions.get(version) ?? []), stage]);
      tools.set(tool, versions);
    }
  }
  const rows = [...tools].map(([tool, versions]) => [tool, [...versions].map(([v, stages]) => `${v}${versions.size > 1 ? ` (${stages.join(', ')})` : ''}`).join('; '), [...versions.values()].flat().join(', ')]);
  return table(['tool', 'version', 'used by'], rows);
}

/** `se` heads the standard-error column, e.g. "se over 2 chains". */
export function estimatesTable(checkpoints: WithSe<CheckpointEstimate>[], se: string): Html {
  const rows = checkpoints.map((c) => [String(c.seed), int(c.step), num(c.llc_mean, 4), num(c.llc_se, 3), num(c.llc_std, 3), c.llc_per_chain.map((v) => num(v, 4)).join(', '), num(c.init_loss, 4), num(c.nbeta), c.diverged.length ? String(c.diverged.length) : '']);
  return table(['seed', 'checkpoint step', 'λ̂', se, 'std over chains', 'per chain', 'init loss', 'nβ', 'diverged chains'], rows, [0, 1, 2, 3, 4, 6, 7, 8]);
}

/** Every grid point: λ̂ ± se, λ̂/nβ, the recommendation's verdict on it (its health problems, or whether λ̂ agrees with the next smaller ε's). */
export function sweepTable(s: Sweep): Html {
  const rec = s.recommendation.point;
  const verdict = (p: Sweep['points'][number]) => {
    if (rec?.i === p.i && rec.j === p.j) return html`<b>recommended</b>`;
    const escaped = p.escaped ? [`escaped: ${p.escaped}`] : [];
    if (p.problems.length || escaped.length) return html`<span class="warning">${[...p.problems, ...escaped].join('; ')}</span>`;
    return p.plateau === null ? 'healthy, in the basin; no such smaller ε to compare' : p.plateau ? 'healthy, in the basin; λ̂ agrees with the smaller ε' : 'healthy, in the basin; λ̂ differs from the smaller ε';
  };
  const rows = s.points.map((p) => [num(p.epsilon), num(p.nbeta), num(p.llc_mean, 4), num(p.llc_se, 3), num(p.llc_over_nbeta, 4), p.llc_per_chain.map((v) => num(v, 4)).join(', '), num(p.init_loss, 4), p.diverged.length ? `${p.diverged.length} of ${s.num_chains}` : '', verdict(p)]);
  return table(['ε', 'nβ', 'λ̂', seNote(s.num_chains), 'λ̂/nβ', 'λ̂ per chain', 'init loss', 'diverged chains', 'calibration verdict'], rows, [0, 1, 2, 3, 4, 6]);
}

/** The problems health.json flags, each with the estimates it applies to, by the health module's own limits. */
const PROBLEMS: { what: string; has: (e: EstimateHealth) => boolean }[] = [
  { what: 'diverged chains', has: (e) => e.diverged_chains > 0 },
  { what: 'negative λ̂', has: (e) => e.negative_llc },
  { what: `split-R̂ above ${R_HAT_LIMIT} (chains have not mixed)`, has: (e) => e.r_hat !== null && e.r_hat > R_HAT_LIMIT },
  { what: `ESS below ${ESS_RATIO_LIMIT * 100}% of the draws`, has: (e) => e.ess !== null && e.ess < ESS_RATIO_LIMIT * (e.chains - e.diverged_chains) * e.draws },
  { what: 'llc trace not stationary (first vs second half)', has: (e) => e.nonstationary },
  { what: `chains end more than ${WANDER_LIMIT}× the localization radius from w₀`, has: (e) => e.final_distance != null && e.localization_radius != null && e.final_distance > WANDER_LIMIT * e.localization_radius },
  { what: `MALA acceptance below ${MALA_ACCEPTANCE_LIMIT}`, has: (e) => e.mala_acceptance != null && e.mala_acceptance < MALA_ACCEPTANCE_LIMIT },
];

/** How many estimates show each problem, naming the first few. */
export function healthSummary(h: Health): Html {
  const rows = PROBLEMS.flatMap(({ what, has }) => {
    const hit = h.estimates.filter(has);
    const names = hit.slice(0, 4).map((e) => e.label).join('; ') + (hit.length > 4 ? `; and ${hit.length - 4} more` : '');
    return hit.length ? [[what, `${hit.length} of ${h.estimates.length}`, names]] : [];
  });
  return rows.length ? table(['problem', 'estimates', 'which'], rows, [1]) : html`<p>No problem flagged over ${count(h.estimates.length, 'estimate')}.</p>`;
}

/** Every estimate's diagnostics with its warnings (each without the label the row already shows). */
export function healthTable(h: Health): Html {
  const rows = h.estimates.map((e) => [
    e.label,
    `${e.chains} × ${int(e.draws)}`,
    num(e.r_hat),
    num(e.ess),
    num(e.llc_mean, 4),
    num(e.llc_se, 3),
    `${num(e.noise_to_weight_rms)}×`,
    e.mala_acceptance == null ? '—' : num(e.mala_acceptance),
    e.final_distance == null ? '—' : num(e.final_distance),
    html`<ul class="plain warning">${e.warnings.map((w) => html`<li>${w.startsWith(`${e.label}: `) ? w.slice(e.label.length + 2) : w}</li>`)}</ul>`,
  ]);
  return table(['estimate', 'chains × draws', 'R̂', 'ESS', 'λ̂', 'se of λ̂', 'noise / weights', 'MALA acceptance', '|w − w₀| at the end', 'warnings'], rows, [2, 3, 4, 5, 6, 7, 8]);
}
