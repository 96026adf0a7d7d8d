// The code a stage runs, so that freshness can treat it as an input. A stage's module graph
// is every repository file reached from its script by imports — static ones, dynamic ones of
// a string literal — and the files its modules read through `new URL('…', import.meta.url)`
// (e.g. onnx.proto), each with its sha256; then the lockfile, the installed version of every
// npm package those files import, and the Node version. The walk follows the imports, not
// folder names. Sources are read and hashed once per process, so `status` over many runs
// stays quick.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodeFingerprint } from '../../../schemas/manifest.ts';
import { sha256 } from '../util/hash.ts';

const LOCKFILE = 'package-lock.json';

/** The nearest folder above this file that holds package.json. */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const REPO_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

// `import … from '…'`, `export … from '…'`, `import '…'` at the start of a line (so that
// comments and prose do not count); `import type` is erased before anything runs.
const STATIC_IMPORT = /^[ \t]*(?:import|export)\s+(type\s+)?(?:[\w$*{}\s,]*?\bfrom\s*)?['"]([^'"\n]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;
const URL_OF_FILE = /\bnew URL\(\s*['"]([^'"\n]+)['"]\s*,\s*import\.meta\.url\s*\)/g;
const SOURCE = /\.(ts|mts|js|mjs)$/;

interface Scanned {
  sha256: string;
  /** Repository files this one imports or reads. */
  files: string[];
  /** npm packages it imports. */
  packages: string[];
}

const scanned = new Map<string, Scanned>();
const fingerprints = new Map<string, CodeFingerprint>();

const isFile = (path: string) => existsSync(path) && statSync(path).isFile();
const inRepo = (path: string) => path.startsWith(REPO_ROOT + sep) && !relative(REPO_ROOT, path).split(sep).includes('node_modules');

/** The file a relative specifier names (TypeScript style: with or without .ts, or a folder's index.ts). */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  return [base, `${base}.ts`, base.replace(/\.js$/, '.ts'), join(base, 'index.ts')].find((p) => inRepo(p) && isFile(p));
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return parts.slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
}

function scan(path: string): Scanned {
  let s = scanned.get(path);
  if (s) return s;
  const bytes = readFileSync(path);
  s = { sha256: sha256(bytes), files: [], packages: [] };
  scanned.set(path, s);
  if (!SOURCE.test(path)) return s;
  const text = bytes.toString('utf8');
  const specifiers = [
    ...[...text.matchAll(STATIC_IMPORT)].filter((m) => !m[1]).map((m) => m[2]!),
    ...[...text.matchAll(DYNAMIC_IMPORT)].map((m) => m[1]!),
  ];
  for (const spec of specifiers) {
    if (spec.startsWith('.') || spec.startsWith('/')) {
      const file = resolveRelative(path, spec);
      if (file) s.files.push(file);
    } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
      s.packages.push(packageOf(spec));
    }
  }
  for (const [, spec] of text.matchAll(URL_OF_FILE)) {
    const file = resolve(dirname(path), spec!);
    if (inRepo(file) && isFile(file)) s.files.push(file);
  }
  return s;
}

function installedVersion(pkg: string): string {
  try {
    return JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

const key = (path: string) => relative(REPO_ROOT, path).split(sep).join('/');

/** The fingerprint of the code reached from `entry` (a stage's script). */
export function codeFingerprint(entry: string): CodeFingerprint {
  let fp = fingerprints.get(entry);
  if (fp) return fp;
  const files: Record<string, string> = {};
  const packages = new Set<string>();
  const todo = [entry];
  const seen = new Set(todo);
  while (todo.length) {
    const path = todo.pop()!;
    const s = scan(path);
    files[key(path)] = s.sha256;
    s.packages.forEach((p) => packages.add(p));
    for (const f of s.files.filter((f) => !seen.has(f))) {
      seen.add(f);
      todo.push(f);
    }
  }
  const lock = join(REPO_ROOT, LOCKFILE);
  if (isFile(lock)) files[LOCKFILE] = scan(lock).sha256;
  fp = {
    files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b))),
    packages: Object.fromEntries([...packages].sort().map((p) => [p, installedVersion(p)])),
    node: process.version,
  };
  fingerprints.set(entry, fp);
  return fp;
}

const MAX_NAMED = 5;

function listed(items: string[]): string {
  const more = items.length - MAX_NAMED;
  return items.slice(0, MAX_NAMED).join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** Why the code recorded in a manifest is not the code now: one reason for the files, one for the tools. */
export function codeChanges(recorded: CodeFingerprint, now: CodeFingerprint): string[] {
  const reasons: string[] = [];
  const files = [...new Set([...Object.keys(recorded.files), ...Object.keys(now.files)])].sort().flatMap((f) => {
    const was = recorded.files[f];
    const is = now.files[f];
    if (was === is) return [];
    return [was === undefined ? `${f} (new)` : is === undefined ? `${f} (no longer imported)` : f];
  });
  if (files.length) reasons.push(`code changed (${listed(files)})`);
  const tools = [['node', recorded.node, now.node] as const, ...[...new Set([...Object.keys(recorded.packages), ...Object.keys(now.packages)])].sort().map((p) => [p, recorded.packages[p], now.packages[p]] as const)]
    .filter(([, was, is]) => was !== is && was !== undefined && is !== undefined)
    .map(([name, was, is]) => `${name} ${was} → ${is}`);
  if (tools.length) reasons.push(`tool version changed (${listed(tools)})`);
  return reasons;
}
