import { DATA_START, paddedBlocks, Sha256x4 } from '../lib/sha256x4.js';
import { OUTPUT_LEAF_TYPE } from '../records/schema/output.js';
import { outputLeafJson, promptDigestJson, type OutputClaims } from './leaf.js';
import type { MerkleTreeBuilder } from './merkle.js';
import { sha256, sha256Hex, simdEnabled } from './sha256.js';

/**
 * The leaves of one batch, for its receipts: their bytes back to back in one
 * growing array (the SIMD path writes them in memory and copies each group
 * out at once), or their text (the path without SIMD).
 *
 * @internal
 */
export class BatchLeaves {
  #bytes = new Uint8Array(0);
  #used = 0;
  readonly #at: number[] = [];
  readonly #length: number[] = [];
  readonly #texts: string[] = [];

  /** Leaf `i`: a view of its bytes, or its text. */
  get(i: number): Uint8Array | string {
    if (this.#texts.length > 0) return this.#texts[i]!;
    const at = this.#at[i]!;
    return this.#bytes.subarray(at, at + this.#length[i]!);
  }

  addText(json: string): void {
    this.#texts.push(json);
  }

  /**
   * Copy `source[from, to)` (a group's leaves, with the padding between
   * them) and note each leaf at `starts[k]` of `lengths[k]` bytes in it.
   */
  addRegion(source: Uint8Array, from: number, to: number, starts: Int32Array, lengths: Int32Array, count: number): void {
    const need = this.#used + (to - from);
    if (need > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.#bytes.length, 64 * 1024));
      grown.set(this.#bytes.subarray(0, this.#used));
      this.#bytes = grown;
    }
    this.#bytes.set(source.subarray(from, to), this.#used);
    for (let k = 0; k < count; k++) {
      this.#at.push(this.#used + starts[k]! - from);
      this.#length.push(lengths[k]!);
    }
    this.#used = need;
  }
}

/** Where a batch's leaves go: their hashes into the tree, their bytes or text kept for the receipts. */
export interface LeafSink {
  readonly tree: MerkleTreeBuilder;
  readonly leaves: BatchLeaves;
}

/** Outputs whose hashes are computed together, four at a time. */
const GROUP = 32;
/** Content up to this size is staged for the SIMD lanes; larger content is hashed at once by node:crypto, which is faster for one long stream. */
const STAGE_LIMIT = 16 * 1024;
/** Likewise for leaves. */
const LEAF_LIMIT = 4 * 1024;
/** Bytes of encoded leaf pieces kept in memory to be copied into leaves, and the largest piece kept. */
const TEMPLATE_BYTES = 64 * 1024;
const TEMPLATE_PIECE = 4 * 1024;
/**
 * Memory layout: the group's content digests, its leaf hashes, the leaf
 * pieces, then staged contents, then the group's leaves.
 */
const DIGESTS_AT = DATA_START;
const LEAF_HASHES_AT = DIGESTS_AT + 32 * GROUP;
const TEMPLATE_AT = LEAF_HASHES_AT + 32 * GROUP;
const CONTENT_AT = TEMPLATE_AT + TEMPLATE_BYTES;

// The fixed text of a leaf (RFC 8785 canonical JSON, keys in order), around the parts that vary.
const LEAF_HEAD = `{"_type":${JSON.stringify(OUTPUT_LEAF_TYPE)},"created":"`;
const LEAF_DIGEST = '","digest":{"sha256":"';
const LEAF_SIZE = '"size":';
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const same = (text: string): string => text;
const mediaTypePiece = (mediaType: string): string => `"},"mediaType":${JSON.stringify(mediaType)},"parameters":`;
const parametersPiece = (json: string): string => `${json},`;

/** Write a non-negative integer's decimal digits at `p`; return where they end. */
function writeDigits(bytes: Uint8Array, p: number, value: number): number {
  const start = p;
  do {
    bytes[p++] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  } while (value > 0);
  // The digits came out lowest first.
  for (let i = start, j = p - 1; i < j; i++, j--) {
    const t = bytes[i]!;
    bytes[i] = bytes[j]!;
    bytes[j] = t;
  }
  return p;
}

/**
 * Turns the outputs of a batch into leaves and leaf hashes. With SIMD, each
 * output's content is copied into the hasher's memory when it is signed (so
 * the caller may reuse its buffer at once) and hashed with the rest of its
 * group of 32: the contents four at a time, then the leaves, four at a time.
 * The leaves are written straight into memory from their parts: the pieces
 * that repeat from output to output (the fixed text, the time, the media
 * type, the parameters) are encoded once and copied, the digest is written
 * as hex from the hash itself. Without SIMD, each output is hashed as it
 * comes. Leaf order is the order of `add` calls either way, and the bytes
 * are exactly `outputLeafJson`'s (the tests hold the two paths to that).
 *
 * @internal
 */
export class LeafHasher {
  readonly #engine: Sha256x4 | null;
  readonly #claims: OutputClaims[] = [];
  /** Content jobs (start, blocks, digest slot) and leaf jobs, in the engine's triple form. */
  readonly #contentJobs = new Int32Array(3 * GROUP);
  readonly #leafJobs = new Int32Array(3 * GROUP);
  readonly #leafAt = new Int32Array(GROUP);
  readonly #leafLength = new Int32Array(GROUP);
  #contentCount = 0;
  #next = CONTENT_AT;
  /**
   * Encoded pieces in memory, by what they encode: fixed text and times, media
   * types, parameters. Each maps to where the piece starts (times 65536) plus
   * its length.
   */
  readonly #fixed = new Map<string, number>();
  readonly #media = new Map<string, number>();
  readonly #params = new Map<string, number>();
  readonly #maps = [this.#fixed, this.#media, this.#params];
  #templateUsed = 0;

  constructor() {
    this.#engine = simdEnabled() ? new Sha256x4() : null;
    this.#engine?.reserve(CONTENT_AT + GROUP * 1024);
  }

  /** Outputs added but not yet hashed into their sink. */
  get pending(): number {
    return this.#claims.length;
  }

  /**
   * Add one output. Reads `content` now; never keeps a reference to it.
   *
   * @param claims the output's claims, `sha256` still empty
   * @param size the content's size in bytes (UTF-8 for text)
   */
  add(claims: OutputClaims, content: Uint8Array | string, size: number, sink: LeafSink): void {
    const engine = this.#engine;
    if (engine === null) {
      claims.sha256 = sha256Hex(content);
      const json = outputLeafJson(claims);
      sink.leaves.addText(json);
      sink.tree.append(sha256(`\u0000${json}`));
      return;
    }
    const slot = DIGESTS_AT + 32 * this.#claims.length;
    if (size > STAGE_LIMIT) {
      engine.bytes.set(sha256(content), slot);
    } else {
      const at = this.#next;
      engine.reserve(at + 64 * paddedBlocks(size));
      const bytes = engine.bytes;
      if (typeof content === 'string') bytes.write(content, at, 'utf8');
      else bytes.set(content, at);
      const blocks = engine.pad(at, size);
      const jobs = this.#contentJobs;
      const j = 3 * this.#contentCount++;
      jobs[j] = at;
      jobs[j + 1] = blocks;
      jobs[j + 2] = slot;
      this.#next = at + 64 * blocks;
    }
    this.#claims.push(claims);
    if (this.#claims.length === GROUP) this.flush(sink);
  }

  /** Hash everything added so far into `sink`. */
  flush(sink: LeafSink): void {
    const engine = this.#engine;
    const claims = this.#claims;
    const n = claims.length;
    if (engine === null || n === 0) return;
    try {
      engine.hashAll(this.#contentJobs, this.#contentCount);
      const first = this.#next;
      let at = first;
      let leafJobs = 0;
      for (let i = 0; i < n; i++) {
        const c = claims[i]!;
        const prompt = c.promptDigest === undefined ? undefined : `"promptDigest":${promptDigestJson(c.promptDigest)},`;
        // Room for the longest this leaf can be: every UTF-16 unit as 3 bytes, and its padding.
        engine.reserve(at + 3 * (LEAF_HEAD.length + 200 + c.mediaType.length + c.parametersJson.length + (prompt?.length ?? 0)) + 72);
        const bytes = engine.bytes;
        bytes[at] = 0;
        let p = this.#piece(this.#fixed, LEAF_HEAD, same, at + 1);
        p = this.#piece(this.#fixed, c.created, same, p);
        p = this.#piece(this.#fixed, LEAF_DIGEST, same, p);
        const digest = DIGESTS_AT + 32 * i;
        for (let k = 0; k < 32; k++) {
          const b = bytes[digest + k]!;
          bytes[p++] = HEX_DIGITS[b >>> 4]!;
          bytes[p++] = HEX_DIGITS[b & 15]!;
        }
        p = this.#piece(this.#media, c.mediaType, mediaTypePiece, p);
        p = this.#piece(this.#params, c.parametersJson, parametersPiece, p);
        if (prompt !== undefined) p += bytes.write(prompt, p, 'utf8');
        p = this.#piece(this.#fixed, LEAF_SIZE, same, p);
        p = writeDigits(bytes, p, c.size);
        bytes[p++] = 0x7d; // }
        const length = p - at;
        this.#leafAt[i] = at + 1;
        this.#leafLength[i] = length - 1;
        if (length > LEAF_LIMIT) {
          bytes.set(sha256(bytes.subarray(at, p)), LEAF_HASHES_AT + 32 * i);
          at = p;
          continue;
        }
        const blocks = engine.pad(at, length);
        this.#leafJobs[3 * leafJobs] = at;
        this.#leafJobs[3 * leafJobs + 1] = blocks;
        this.#leafJobs[3 * leafJobs + 2] = LEAF_HASHES_AT + 32 * i;
        leafJobs++;
        at += 64 * blocks;
      }
      engine.hashAll(this.#leafJobs, leafJobs);
      sink.tree.appendFrom(engine.bytes, LEAF_HASHES_AT, n);
      sink.leaves.addRegion(engine.bytes, first, at, this.#leafAt, this.#leafLength, n);
    } finally {
      claims.length = 0;
      this.#contentCount = 0;
      this.#next = CONTENT_AT;
    }
  }

  /**
   * Write a piece of a leaf at `p` and return where it ends: the text that
   * `make` gives for `key`. A piece seen before (same key, same map) is
   * copied from memory; a new one is encoded there first.
   */
  #piece(pieces: Map<string, number>, key: string, make: (key: string) => string, p: number): number {
    const engine = this.#engine!;
    let found = pieces.get(key);
    if (found === undefined) {
      const text = make(key);
      if (3 * text.length > TEMPLATE_PIECE) return p + engine.bytes.write(text, p, 'utf8');
      if (this.#templateUsed + 3 * text.length > TEMPLATE_BYTES) {
        for (const map of this.#maps) map.clear();
        this.#templateUsed = 0;
      }
      const at = TEMPLATE_AT + this.#templateUsed;
      const length = engine.bytes.write(text, at, 'utf8');
      this.#templateUsed += length;
      found = (at - TEMPLATE_AT) * 65536 + length;
      pieces.set(key, found);
    }
    const from = TEMPLATE_AT + Math.floor(found / 65536);
    const length = found % 65536;
    engine.bytes.copyWithin(p, from, from + length);
    return p + length;
  }
}
