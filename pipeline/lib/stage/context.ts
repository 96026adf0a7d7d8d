// What a stage body works with: its config slice, verified reads of upstream artifacts (each
// checked against its stage's manifest and recorded as an input), writes into the stage's
// .partial folder, and the results, runtime facts and tool versions its manifest records.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { z } from 'zod';
import type { Config } from '../../../schemas/config.ts';
import type { FileEntry, Manifest } from '../../../schemas/manifest.ts';
import { STAGES, type StageConfig, type StageName } from './registry.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { sha256 } from '../util/hash.ts';
import { manifestPath, parseJson, readManifest, stageDir } from './run-dir.ts';
import { decodeSafetensors, encodeSafetensors, type SafeTensors } from '../util/safetensors.ts';
import { PIPELINE_VERSION } from '../util/version.ts';

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

  /** The verified paths of an upstream stage's outputs whose names match `pattern`, in name order, with the match. */
  inputsMatching(stage: StageName, pattern: RegExp): { path: string; match: RegExpExecArray }[] {
    return Object.keys(this.manifestOf(stage).outputs)
      .sort()
      .flatMap((f) => {
        const match = pattern.exec(f);
        return match ? [{ path: this.input(stage, f), match }] : [];
      });
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
