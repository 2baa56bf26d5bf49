import * as nodeCrypto from 'node:crypto';
import { sha256x4Supported } from '../lib/sha256x4.js';

/*
 * One-shot SHA-256 for the output hot paths. `crypto.hash` (Node 20.12+)
 * skips creating a Hash object, which is most of the cost for the small
 * inputs a Merkle tree hashes (65-byte nodes, ~300-byte leaves); older Nodes
 * fall back to `createHash`. Strings are hashed as UTF-8.
 *
 * Checking an audit path hashes one node at a time, on 32-character latin1
 * ("binary") strings: asking Node for a Buffer allocates a backing store per
 * digest, which costs as much as the hash itself at this size, while a short
 * string is a cheap heap object. Building trees and batches goes through the
 * four-lane SIMD SHA-256 instead (`lib/sha256x4`), many hashes at a time.
 *
 * The namespace import matters: a named import of `hash` would fail to link
 * on a Node that lacks it.
 */
const hasOneShot = typeof nodeCrypto.hash === 'function';

/** SHA-256 as a 32-character latin1 string (one character per byte). */
export const sha256Latin1: (data: Uint8Array | string) => string = hasOneShot
  ? (data) => nodeCrypto.hash('sha256', data, 'binary')
  : (data) => nodeCrypto.createHash('sha256').update(data).digest('binary');

/** SHA-256 as lower-case hex. */
export const sha256Hex: (data: Uint8Array | string) => string = hasOneShot
  ? (data) => nodeCrypto.hash('sha256', data, 'hex')
  : (data) => nodeCrypto.createHash('sha256').update(data).digest('hex');

/** SHA-256 as a plain Uint8Array. */
export function sha256(data: Uint8Array | string): Uint8Array {
  return latin1Bytes(sha256Latin1(data));
}

/**
 * The bytes of a latin1 string, as a plain Uint8Array. Small Buffers come
 * from Node's shared pool, so the view already has an ArrayBuffer: a fresh
 * small Uint8Array lives on the JS heap and materializes one (slowly) the
 * first time anything reads its `.buffer`, as multiformats does.
 */
export function latin1Bytes(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'latin1');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A byte array as a latin1 string. */
export function bytesLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

let simdOff = false;

/**
 * Whether batch hashing uses the four-lane SIMD SHA-256 (`lib/sha256x4`):
 * wherever WebAssembly SIMD runs, unless turned off for a test.
 * @internal
 */
export function simdEnabled(): boolean {
  return !simdOff && sha256x4Supported();
}

/** @internal Turn the SIMD path off (true) or back on, so tests can hold both paths to the same answers. */
export function disableSimdForTesting(off: boolean): void {
  simdOff = off;
}
