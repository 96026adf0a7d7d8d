// Reading a run's files for `pipeline check`: every read is cached and every problem is
// reported once, naming the file, so a file several checks look at (a checkpoint read by
// the train and export validators) gives one failure, not one per reader.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import type { Manifest } from '../../schemas/manifest.ts';
import { sha256 } from '../lib/util/hash.ts';
import { decodeSafetensors, type SafeTensors } from '../lib/util/safetensors.ts';
import { decodeModel } from '../lib/onnx/io.ts';
import type { Model } from '../lib/onnx/ir.ts';
import { Problems } from './problems.ts';

/** Drops the "<path>: " that readers put in front of their messages; problems name the file already. */
function withoutSource(message: string, source: string): string {
  return message.startsWith(`${source}: `) ? message.slice(source.length + 2) : message;
}

export class CheckContext {
  readonly problems = new Problems();
  /** The manifests of the stages that finished (and whose manifest is readable). */
  readonly manifests = new Map<string, Manifest>();
  private readonly cache = new Map<string, unknown>();

  constructor(readonly runDir: string) {}

  get runId(): string {
    return basename(this.runDir);
  }

  fail(file: string, message: string): void {
    this.problems.fail(file, message);
  }

  warn(file: string, message: string): void {
    this.problems.warn(file, message);
  }

  /** The outputs a finished stage's manifest lists, in name order. */
  outputs(stage: string): string[] {
    return Object.keys(this.manifests.get(stage)?.outputs ?? {}).sort();
  }

  /** `read()`'s value, or undefined and a failure naming `file` when it throws. */
  attempt<T>(file: string, read: () => T): T | undefined {
    try {
      return read();
    } catch (e) {
      this.fail(file, withoutSource((e as Error).message, join(this.runDir, file)));
      return undefined;
    }
  }

  private once<T>(kind: string, file: string, read: () => T): T | undefined {
    const key = `${kind}:${file}`;
    if (!this.cache.has(key)) this.cache.set(key, this.attempt(file, read));
    return this.cache.get(key) as T | undefined;
  }

  /** The file's bytes; undefined (unreported: the manifest check says so) when it is missing. */
  bytes(file: string): Uint8Array | undefined {
    const path = join(this.runDir, file);
    if (!existsSync(path)) return undefined;
    return this.once('bytes', file, () => readFileSync(path));
  }

  sha(file: string): string | undefined {
    const bytes = this.bytes(file);
    return bytes && this.once('sha', file, () => sha256(bytes));
  }

  /** Whether a stage's output still holds what its manifest records. */
  intact(file: string): boolean {
    const slash = file.indexOf('/');
    const entry = this.manifests.get(file.slice(0, slash))?.outputs[file.slice(slash + 1)];
    return entry !== undefined && this.sha(file) === entry.sha256;
  }

  /** A JSON file parsed against its schema (a file is checked against the first schema it is read with). */
  json<T extends z.ZodTypeAny>(file: string, schema: T): z.infer<T> | undefined {
    const bytes = this.bytes(file);
    if (!bytes) return undefined;
    return this.once('json', file, () => {
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(bytes).toString('utf8'));
      } catch (e) {
        throw new Error(`not valid JSON (${(e as Error).message})`);
      }
      const r = schema.safeParse(value);
      if (!r.success) throw new Error(`does not match its schema: ${r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
      return r.data;
    });
  }

  tensors(file: string): SafeTensors | undefined {
    const bytes = this.bytes(file);
    const path = join(this.runDir, file);
    return bytes && this.once('tensors', file, () => {
      try {
        return decodeSafetensors(bytes, path).tensors;
      } catch (e) {
        // A mangled header can fail inside the decoder with a bare TypeError.
        const message = (e as Error).message;
        throw message.startsWith(path) ? e : new Error(`not a readable safetensors file (${message})`);
      }
    });
  }

  onnx(file: string): Model | undefined {
    const bytes = this.bytes(file);
    return bytes && this.once('onnx', file, () => decodeModel(bytes, join(this.runDir, file)));
  }
}
