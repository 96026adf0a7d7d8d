// Resolving a run's configuration: defaults, a preset, the run's saved config, a --config
// file, then --set overrides (resolveConfig states the order); validated as a whole before
// any stage runs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigSchema, SECTIONS, sectionSchema, type Config, type Section } from '../schemas/config.ts';

export class ConfigError extends Error {}

type Raw = Record<string, Record<string, unknown>>;

/** Reads a JSON or YAML config file into a raw (not yet validated) object. */
export function readConfigFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid ${extname(path).slice(1) || 'JSON'}: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`config file ${path} must hold an object with sections ${SECTIONS.join(', ')}`);
  }
  return value as Raw;
}

/** A --set value: JSON where it parses (numbers, booleans, quoted strings), else the text. */
function parseSetValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Applies `section.key=value` overrides to a raw config. */
export function applySets(raw: Raw, sets: string[]): Raw {
  const out: Raw = structuredClone(raw);
  for (const s of sets) {
    const m = /^([a-z_]+)\.([a-z_0-9]+)=(.*)$/s.exec(s);
    if (!m) throw new ConfigError(`--set ${JSON.stringify(s)}: expected section.key=value, e.g. generate.seed=1`);
    const [, section, key, value] = m as unknown as [string, string, string, string];
    if (!SECTIONS.includes(section as Section)) {
      throw new ConfigError(`--set ${s}: unknown section "${section}" (sections: ${SECTIONS.join(', ')})`);
    }
    const keys = Object.keys(sectionSchema(section as Section).shape);
    if (!keys.includes(key)) {
      throw new ConfigError(`--set ${s}: unknown key ${section}.${key} (keys of ${section}: ${keys.join(', ')})`);
    }
    (out[section] ??= {})[key] = parseSetValue(value);
  }
  return out;
}

function valueAt(raw: unknown, path: (string | number)[]): unknown {
  let v: unknown = raw;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function allowedAt(path: (string | number)[]): string | undefined {
  const [section, key] = path;
  if (!SECTIONS.includes(section as Section) || typeof key !== 'string') return undefined;
  return (sectionSchema(section as Section).shape[key] as z.ZodTypeAny | undefined)?.description;
}

/** Validates a raw config; the error lists every bad key with its value and what is allowed. */
export function validateConfig(raw: unknown): Config {
  const r = ConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? `${issue.path.join('.')}.` : '';
      const known = issue.path.length ? Object.keys(sectionSchema(issue.path[0] as Section).shape) : SECTIONS;
      return `  ${issue.keys.map((k) => where + k).join(', ')}: unknown key (known: ${known.join(', ')})`;
    }
    const key = issue.path.join('.');
    const allowed = allowedAt(issue.path);
    return `  ${key} = ${JSON.stringify(valueAt(raw, issue.path))}: ${issue.message}${allowed ? ` (allowed: ${allowed})` : ''}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

const PRESETS = fileURLToPath(new URL('./presets/', import.meta.url));

/** Names of the shipped presets (pipeline/presets/<name>.yaml). */
export function presetNames(): string[] {
  return readdirSync(PRESETS).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

function presetFile(name: string): string {
  const path = `${PRESETS}${name}.yaml`;
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(path)) throw new ConfigError(`--preset ${name}: no such preset (presets: ${presetNames().join(', ')})`);
  return path;
}

function mergeFile(raw: Raw, path: string): Raw {
  const out = structuredClone(raw);
  for (const [section, values] of Object.entries(readConfigFile(path))) {
    if (!values || typeof values !== 'object' || Array.isArray(values)) {
      throw new ConfigError(`config file ${path}: section "${section}" must be an object of keys, got ${JSON.stringify(values)}`);
    }
    out[section] = { ...(out[section] ?? {}), ...values };
  }
  return out;
}

/** One section of a shipped preset as the preset writes it (only the keys it sets). */
export function presetSection(name: string, section: string): Record<string, unknown> {
  return { ...(readConfigFile(presetFile(name))[section] ?? {}) };
}

export interface ConfigSources {
  preset?: string | undefined;
  file?: string | undefined;
  sets?: string[] | undefined;
}

/**
 * The order a run's config is made in, each over the one before: the defaults, --preset,
 * the run's saved config (or, with --from, the source run's) where it differs from the
 * defaults — values chosen earlier, which a preset must not silently undo —, --config,
 * then each --set. `note` hears of every earlier value a preset leaves in place.
 */
export function resolveConfig(base: Raw, sources: ConfigSources = {}, note: (message: string) => void = () => {}): Config {
  let raw: Raw = sources.preset ? mergeFile({}, presetFile(sources.preset)) : {};
  const defaults = validateConfig({}) as unknown as Raw;
  for (const [section, values] of Object.entries(base)) {
    for (const [key, value] of Object.entries(values ?? {})) {
      if (JSON.stringify(value) === JSON.stringify(defaults[section]?.[key])) continue;
      const preset = raw[section]?.[key];
      if (preset !== undefined && JSON.stringify(preset) !== JSON.stringify(value)) {
        note(`--preset ${sources.preset} leaves ${section}.${key} = ${JSON.stringify(value)}, set earlier in this run, in place of its ${JSON.stringify(preset)} (--set ${section}.${key}=… changes it)`);
      }
      (raw[section] ??= {})[key] = value;
    }
  }
  if (sources.file) raw = mergeFile(raw, sources.file);
  return validateConfig(applySets(raw, sources.sets ?? []));
}

/** Dotted keys whose values differ between two config slices. */
export function changedKeys(prefix: string, a: unknown, b: unknown): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].sort().flatMap((k) => changedKeys(prefix ? `${prefix}.${k}` : k, (a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}
