// What every stage script shares: argument handling, the run's lock (unless the
// `pipeline run` that started it holds it), the stage's config slice, reading verified
// inputs, writing outputs into <stage>.partial/, and on success the manifest — with the code
// the stage ran — and the swap into place. A stage killed half-way leaves only the .partial
// folder, which nothing trusts.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { hostname, cpus, platform, arch } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ConfigSchema, type Config } from '../../schemas/config.ts';
import { MANIFEST_SCHEMA_ID, MANIFEST_SCHEMA_VERSION, type CurrentManifest, type FileEntry, type Manifest } from '../../schemas/manifest.ts';
import { STAGES, stageScript, type StageConfig, type StageName } from '../registry.ts';
import { writeFileAtomic, writeJsonAtomic } from './atomic.ts';
import { codeFingerprint } from './code.ts';
import { sha256 } from './hash.ts';
import { reportProgressTo } from './progress.ts';
import { acquireRunLock, liveLock, writeProgress } from './run-lock.ts';
import { configPath, parseJson, partialDir, readManifest, readSavedConfig, stageDir, writeSavedConfig, manifestPath } from './run-dir.ts';
import { decodeSafetensors, encodeSafetensors, type SafeTensors } from './safetensors.ts';
import { PIPELINE_VERSION } from './version.ts';

export class StageContext<S extends StageName = StageName> {
  /** The stage's slice of the run's config: all of it the stage may read. */
  readonly config: StageConfig<S>;
  readonly inputs: Record<string, FileEntry> = {};
  readonly results: Record<string, unknown> = {};
  readonly runtime: Record<string, unknown> = {};
  readonly tools: Record<string, string> = { node: process.version, 'llc-pipeline': PIPELINE_VERSION };
  private readonly upstream = new Map<string, Manifest>();

  constructor(
    readonly stage: S,
    readonly runDir: string,
    config: Config,
    /** Where this stage writes: <run>/<stage>.partial/ */
    readonly workDir: string,
  ) {
    this.config = STAGES[stage].slice(config) as StageConfig<S>;
  }

  get runId(): string {
    return relative(dirname(this.runDir), this.runDir);
  }

  private manifestOf(stage: StageName): Manifest {
    let manifest = this.upstream.get(stage);
    if (!manifest) {
      manifest = readManifest(this.runDir, stage);
      if (!manifest) throw new Error(`${stageDir(this.runDir, stage)}: stage "${stage}" has not finished in this run (no manifest.json); run \`pipeline run ${stage}\` first`);
      this.upstream.set(stage, manifest);
    }
    return manifest;
  }

  /** Path of an upstream artifact after checking it against its stage's manifest. */
  input(stage: StageName, file: string): string {
    return this.verified(stage, file).path;
  }

  /** An upstream artifact's path and bytes, the bytes checked against its stage's manifest. */
  private verified(stage: StageName, file: string): { path: string; bytes: Buffer } {
    const manifest = this.manifestOf(stage);
    const entry = manifest.outputs[file];
    const path = join(stageDir(this.runDir, stage), file);
    if (!entry) throw new Error(`${path}: not among the outputs of stage "${stage}" in ${manifestPath(this.runDir, stage)}`);
    if (!existsSync(path)) throw new Error(`${path}: missing, though ${manifestPath(this.runDir, stage)} lists it; rerun ${stage} with --force`);
    const bytes = readFileSync(path);
    const actual = sha256(bytes);
    if (actual !== entry.sha256) {
      throw new Error(`${path}: sha256 ${actual.slice(0, 12)}… does not match ${entry.sha256.slice(0, 12)}… recorded in its manifest: the file changed after stage "${stage}" wrote it; rerun ${stage} with --force`);
    }
    this.inputs[`${stage}/${file}`] = entry;
    return { path, bytes };
  }

  /** The verified paths of an upstream stage's outputs under a folder (e.g. its checkpoints), in name order. */
  inputsUnder(stage: StageName, folder: string): string[] {
    return Object.keys(this.manifestOf(stage).outputs)
      .filter((f) => f.startsWith(`${folder}/`))
      .sort()
      .map((f) => this.input(stage, f));
  }

  readJsonInput<T extends z.ZodTypeAny>(stage: StageName, file: string, schema: T): z.infer<T> {
    const { path, bytes } = this.verified(stage, file);
    return parseJson(bytes.toString('utf8'), path, schema);
  }

  readSafetensorsInput(stage: StageName, file: string): SafeTensors {
    const { path, bytes } = this.verified(stage, file);
    return decodeSafetensors(bytes, path).tensors;
  }

  /** Path for an output file (folders are created). */
  out(file: string): string {
    const path = join(this.workDir, file);
    mkdirSync(dirname(path), { recursive: true });
    return path;
  }

  writeJson(file: string, value: unknown): void {
    writeJsonAtomic(this.out(file), value);
  }

  writeText(file: string, text: string | Uint8Array): void {
    writeFileAtomic(this.out(file), text);
  }

  writeSafetensors(file: string, tensors: SafeTensors, metadata?: Record<string, string>): void {
    writeFileAtomic(this.out(file), encodeSafetensors(tensors, metadata));
  }

  log(message: string): void {
    process.stderr.write(`${this.stage}: ${message}\n`);
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile() && !/(^|\/)\.[^/]*\.tmp-\d+$/.test(f))
    .sort();
}

export interface StageOptions {
  /** Keep <stage>.partial/ from an interrupted attempt so the stage can resume from it. */
  resumable?: boolean;
}

/** The command line every stage script takes when run by itself. */
function stageArgs(stage: StageName): { runDir: string } {
  const { values } = parseArgs({ options: { 'run-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || !values['run-dir']) {
    (values.help ? process.stdout : process.stderr).write(`usage: tsx stages/${stage}/main.ts --run-dir artifacts/<run>\n  ${STAGES[stage].summary}.\n  Reads the run's config.json (the defaults if there is none) and the upstream stages' artifacts.\n`);
    process.exit(values.help ? 0 : 2);
  }
  return { runDir: values['run-dir'] };
}

/** Takes the run's lock unless the `pipeline run` that started this process holds it. */
function lockUnlessParentHolds(runDir: string, stage: StageName): void {
  if (liveLock(runDir)?.pid === process.ppid) return;
  acquireRunLock(runDir, `stage ${stage} run by itself`, (m) => process.stderr.write(`${stage}: ${m}\n`), stage);
}

/** Runs a stage body with a context and writes its manifest when the body succeeds. */
export async function runStage<S extends StageName>(stage: S, body: (ctx: StageContext<S>) => Promise<void>, options: StageOptions = {}): Promise<void> {
  const { runDir } = stageArgs(stage);
  try {
    lockUnlessParentHolds(runDir, stage);
    reportProgressTo((done, total) => writeProgress(runDir, { stage, done, total }));
    // The code as loaded: every module this script imports has been read by now.
    const code = codeFingerprint(stageScript(stage));
    let config: Config;
    if (existsSync(configPath(runDir))) {
      config = readSavedConfig(runDir);
    } else {
      config = ConfigSchema.parse({});
      writeSavedConfig(runDir, config);
    }
    const work = partialDir(runDir, stage);
    if (!options.resumable) rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    // The old result stops counting the moment we start replacing it.
    rmSync(manifestPath(runDir, stage), { force: true });

    const ctx = new StageContext(stage, runDir, config, work);
    const started = new Date();
    await body(ctx);
    const ended = new Date();

    const outputs: Record<string, FileEntry> = {};
    for (const f of filesUnder(work)) {
      if (f === 'manifest.json') continue;
      const bytes = readFileSync(join(work, f));
      outputs[f] = { sha256: sha256(bytes), bytes: bytes.length };
    }
    const manifest: CurrentManifest = {
      schema: MANIFEST_SCHEMA_ID,
      schema_version: MANIFEST_SCHEMA_VERSION,
      stage,
      output_schema: STAGES[stage].outputSchema,
      run: ctx.runId,
      config: ctx.config,
      inputs: ctx.inputs,
      outputs,
      code,
      tools: ctx.tools,
      runtime: ctx.runtime,
      host: { hostname: hostname(), platform: platform(), arch: arch(), cpus: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown' },
      started_at: started.toISOString(),
      ended_at: ended.toISOString(),
      duration_s: (ended.getTime() - started.getTime()) / 1000,
      results: ctx.results,
    };
    writeJsonAtomic(join(work, 'manifest.json'), manifest);
    const final = stageDir(runDir, stage);
    rmSync(final, { recursive: true, force: true });
    renameSync(work, final);
  } catch (e) {
    process.stderr.write(`${stage}: error: ${(e as Error).message}\n`);
    if (process.env.PIPELINE_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  }
}
