// A training shard's files as they travel back to the head: each file's bytes as base64 text
// (BullMQ keeps job results as JSON).
import { base64Of } from './blobs.ts';

export type EncodedFiles = Record<string, string>;

export function encodeFiles(files: Record<string, Uint8Array>): EncodedFiles {
  return Object.fromEntries(Object.entries(files).map(([f, b]) => [f, base64Of(b)]));
}

export function decodeFiles(files: EncodedFiles): Record<string, Uint8Array> {
  return Object.fromEntries(Object.entries(files).map(([f, text]) => [f, new Uint8Array(Buffer.from(text, 'base64'))]));
}
