import { DATA_START, paddedBlocks, Sha256x4 } from '../lib/sha256x4.js';
import { outputLeafJson, type OutputClaims } from './leaf.js';
import type { MerkleTreeBuilder } from './merkle.js';
import { sha256, sha256Hex, simdEnabled } from './sha256.js';

/** Where a batch's leaves go: their hashes into the tree, their text kept for the receipts. */
export interface LeafSink {
  readonly tree: MerkleTreeBuilder;
  readonly leaves: string[];
}

/** Outputs whose hashes are computed together, four at a time. */
const GROUP = 32;
/** Content up to this size is staged for the SIMD lanes; larger content is hashed at once by node:crypto, which is faster for one long stream. */
const STAGE_LIMIT = 16 * 1024;
/** Likewise for leaves. */
const LEAF_LIMIT = 4 * 1024;
/** Memory layout: the group's content digests, its leaf hashes, then staged contents and leaves. */
const DIGESTS_AT = DATA_START;
const LEAF_HASHES_AT = DIGESTS_AT + 32 * GROUP;
const CONTENT_AT = LEAF_HASHES_AT + 32 * GROUP;

/**
 * Turns the outputs of a batch into leaves and leaf hashes. With SIMD, each
 * output's content is copied into the hasher's memory when it is signed (so
 * the caller may reuse its buffer at once) and hashed with the rest of its
 * group of 32: the contents four at a time, then the leaves built from their
 * digests, four at a time. Without SIMD, each output is hashed as it comes.
 * Leaf order is the order of `add` calls either way.
 *
 * @internal
 */
export class LeafHasher {
  readonly #engine: Sha256x4 | null;
  readonly #claims: OutputClaims[] = [];
  /** Content jobs (start, blocks, digest slot) and leaf jobs, in the engine's triple form. */
  readonly #contentJobs = new Int32Array(3 * GROUP);
  readonly #leafJobs = new Int32Array(3 * GROUP);
  #contentCount = 0;
  #next = CONTENT_AT;

  constructor() {
    this.#engine = simdEnabled() ? new Sha256x4() : null;
    this.#engine?.reserve(CONTENT_AT + GROUP * 1024);
  }

  /** Outputs added but not yet hashed into their sink. */
  get pending(): number {
    return this.#claims.length;
  }

  /**
   * Add one output. `claims.sha256` is filled in when its content is hashed.
   * Reads `content` now; never keeps a reference to it.
   *
   * @param size the content's size in bytes (UTF-8 for text)
   */
  add(claims: OutputClaims, content: Uint8Array | string, size: number, sink: LeafSink): void {
    const engine = this.#engine;
    if (engine === null) {
      claims.sha256 = sha256Hex(content);
      const json = outputLeafJson(claims);
      sink.leaves.push(json);
      sink.tree.append(sha256(`\u0000${json}`));
      return;
    }
    if (size > STAGE_LIMIT) {
      claims.sha256 = sha256Hex(content);
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
      jobs[j + 2] = DIGESTS_AT + 32 * this.#claims.length;
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
      // One hex conversion for the group; each staged output takes its 64 digits.
      const hex = engine.bytes.toString('hex', DIGESTS_AT, DIGESTS_AT + 32 * n);
      let at = this.#next;
      let leafJobs = 0;
      for (let i = 0; i < n; i++) {
        const c = claims[i]!;
        if (c.sha256 === '') c.sha256 = hex.slice(64 * i, 64 * i + 64);
        const json = outputLeafJson(c);
        sink.leaves.push(json);
        // 0x00 || leaf, padded; at most 3 bytes of UTF-8 per UTF-16 unit.
        engine.reserve(at + 1 + 3 * json.length + 72);
        const bytes = engine.bytes;
        bytes[at] = 0;
        const length = 1 + bytes.write(json, at + 1, 'utf8');
        if (length > LEAF_LIMIT) {
          bytes.set(sha256(bytes.subarray(at, at + length)), LEAF_HASHES_AT + 32 * i);
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
    } finally {
      claims.length = 0;
      this.#contentCount = 0;
      this.#next = CONTENT_AT;
    }
  }
}
