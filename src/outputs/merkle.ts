/**
 * RFC 6962 section 2.1 Merkle Tree Hash (Certificate Transparency) with
 * SHA-256: leaves and interior nodes are domain-separated
 * (`SHA-256(0x00 || data)`, `SHA-256(0x01 || left || right)`) so a leaf can
 * never pass for a node, and the tree splits at the largest power of two
 * below its size. Audit paths and their verification follow RFC 9162
 * section 2.1.3.
 */
import { bytesEqual, toHex } from '../lib/bytes.js';
import { VerificationError } from '../lib/errors.js';
import { MAX_BATCH_SIZE } from '../records/schema/output.js';
import { DATA_START, Sha256x4 } from '../lib/sha256x4.js';
import { bytesLatin1, latin1Bytes, sha256, sha256Latin1, simdEnabled } from './sha256.js';

/** Bytes of a SHA-256 hash. */
export const HASH_BYTES = 32;

/** MTH({}): the hash of an empty tree, SHA-256 of nothing. */
export const EMPTY_TREE_HASH: Uint8Array = sha256(new Uint8Array(0));

// One scratch buffer for interior nodes: hashing is synchronous, so no two
// callers ever share it at the same time.
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_BYTES);
NODE_INPUT[0] = 0x01;

/** @internal The node hash on latin1 strings (as proofs are checked: one hash at a time). */
export function nodeHashLatin1(left: string, right: string): string {
  NODE_INPUT.write(left, 1, HASH_BYTES, 'latin1');
  NODE_INPUT.write(right, 1 + HASH_BYTES, HASH_BYTES, 'latin1');
  return sha256Latin1(NODE_INPUT);
}

/**
 * The hash of a leaf: `SHA-256(0x00 || data)`.
 *
 * @param data the leaf's bytes (a string is hashed as UTF-8)
 * @returns the 32-byte leaf hash
 * @throws nothing
 * @example
 * ```ts
 * toHex(merkleLeafHash(new Uint8Array(0))) // '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'
 * ```
 */
export function merkleLeafHash(data: Uint8Array | string): Uint8Array {
  if (typeof data === 'string') return sha256(`\u0000${data}`);
  const input = new Uint8Array(data.length + 1);
  input.set(data, 1);
  return sha256(input);
}

/**
 * The hash of an interior node: `SHA-256(0x01 || left || right)`.
 *
 * @param left the left child's hash (32 bytes)
 * @param right the right child's hash (32 bytes)
 * @returns the 32-byte node hash
 * @throws RangeError when a child is not 32 bytes
 * @example
 * ```ts
 * merkleNodeHash(merkleLeafHash(a), merkleLeafHash(b)) // the root of the tree [a, b]
 * ```
 */
export function merkleNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) {
    throw new RangeError(`node children expected ${HASH_BYTES} bytes each, got ${left.length} and ${right.length}`);
  }
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_BYTES);
  return sha256(NODE_INPUT);
}

/**
 * A finished Merkle tree: its size, its root, and the audit path of any leaf.
 * Hashes are kept level by level, each level one byte array of 32-byte
 * hashes (a lone last node is carried up unchanged), which is exactly RFC
 * 6962's split at the largest power of two.
 */
export class MerkleTree {
  /** Number of leaves. */
  readonly size: number;
  /** MTH of the leaves; {@link EMPTY_TREE_HASH} for an empty tree. */
  readonly root: Uint8Array;
  readonly #levels: readonly Uint8Array[];

  /** @internal Use {@link MerkleTree.fromLeafHashes} or {@link MerkleTreeBuilder}. */
  constructor(levels: readonly Uint8Array[]) {
    this.#levels = levels;
    this.size = levels[0]!.length / HASH_BYTES;
    this.root = this.size === 0 ? EMPTY_TREE_HASH.slice() : levels[levels.length - 1]!.slice(0, HASH_BYTES);
  }

  /**
   * The tree of the given leaf hashes.
   *
   * @param leafHashes each leaf's {@link merkleLeafHash}
   * @returns the tree
   * @throws RangeError for a hash that is not 32 bytes, or more than `MAX_BATCH_SIZE` leaves
   * @example
   * ```ts
   * const tree = MerkleTree.fromLeafHashes(leaves.map((l) => merkleLeafHash(l)));
   * tree.root; tree.proof(3);
   * ```
   */
  static fromLeafHashes(leafHashes: readonly Uint8Array[]): MerkleTree {
    const builder = new MerkleTreeBuilder();
    for (const hash of leafHashes) builder.append(hash);
    return builder.finish();
  }

  /**
   * The audit path (inclusion proof) of leaf `index`, bottom-up, as RFC 9162
   * section 2.1.3.1 defines it.
   *
   * @param index the leaf index
   * @returns the sibling hashes from the leaf's level up to the root's children (copies)
   * @throws RangeError for an index outside the tree
   * @example
   * ```ts
   * verifyInclusion(3, tree.size, leafHash, tree.proof(3), tree.root);
   * ```
   */
  proof(index: number): Uint8Array[] {
    return this.proofViews(index).map((hash) => hash.slice());
  }

  /** @internal The number of hashes in the audit path of leaf `index` (an index inside the tree). */
  proofLength(index: number): number {
    let count = 0;
    let i = index;
    for (let k = 0; k < this.#levels.length - 1; k++) {
      if (HASH_BYTES * (i ^ 1) < this.#levels[k]!.length) count++;
      i >>>= 1;
    }
    return count;
  }

  /**
   * @internal Copy the audit path of leaf `index` into `out` from `at`, each
   * hash after the bytes of `prefix`, without making an array per hash.
   * @returns where the copy ends
   */
  writeProof(index: number, out: Uint8Array, at: number, prefix: Uint8Array): number {
    let i = index;
    for (let k = 0; k < this.#levels.length - 1; k++) {
      const level = this.#levels[k]!;
      const from = HASH_BYTES * (i ^ 1);
      if (from < level.length) {
        for (let b = 0; b < prefix.length; b++) out[at++] = prefix[b]!;
        for (let b = 0; b < HASH_BYTES; b++) out[at++] = level[from + b]!;
      }
      i >>>= 1;
    }
    return at;
  }

  /** @internal The audit path as views into the tree's own arrays (for receipts, which treat them as read-only). */
  proofViews(index: number): Uint8Array[] {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`"index" expected an integer in [0, ${this.size}), got ${index}`);
    }
    const path: Uint8Array[] = [];
    const levels = this.#levels;
    let i = index;
    for (let k = 0; k < levels.length - 1; k++) {
      const level = levels[k]!;
      const sibling = i ^ 1;
      // A lone last node has no sibling at this level: it is carried up.
      if (HASH_BYTES * sibling < level.length) path.push(level.subarray(HASH_BYTES * sibling, HASH_BYTES * (sibling + 1)));
      i >>>= 1;
    }
    return path;
  }
}

/**
 * Collects leaf hashes and builds the tree over them. The interior nodes are
 * hashed when the tree is finished, a level at a time, four nodes per step
 * with the SIMD SHA-256 where the runtime has it.
 *
 * @example
 * ```ts
 * const builder = new MerkleTreeBuilder();
 * for (const leaf of leaves) builder.append(merkleLeafHash(leaf));
 * const tree = builder.finish();
 * ```
 */
export class MerkleTreeBuilder {
  #leaves = new Uint8Array(HASH_BYTES * 64);
  #count = 0;
  #finished = false;

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#count;
  }

  /**
   * Append a leaf hash.
   *
   * @param leafHash the leaf's {@link merkleLeafHash}
   * @returns the leaf's index
   * @throws RangeError for a hash that is not 32 bytes, or a tree already at `MAX_BATCH_SIZE` leaves
   * @throws TypeError after {@link MerkleTreeBuilder.finish}
   */
  append(leafHash: Uint8Array): number {
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_BYTES) {
      throw new RangeError(`a leaf hash expected ${HASH_BYTES} bytes, got ${leafHash?.length}`);
    }
    const index = this.#count;
    this.appendFrom(leafHash, 0, 1);
    return index;
  }

  /** @internal Append `count` leaf hashes stored back to back in `bytes` from `at`. */
  appendFrom(bytes: Uint8Array, at: number, count: number): void {
    if (this.#finished) throw new TypeError('the tree is finished');
    if (this.#count + count > MAX_BATCH_SIZE) throw new RangeError(`a tree holds at most ${MAX_BATCH_SIZE} leaves`);
    const need = HASH_BYTES * (this.#count + count);
    if (need > this.#leaves.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.#leaves.length));
      grown.set(this.#leaves.subarray(0, HASH_BYTES * this.#count));
      this.#leaves = grown;
    }
    this.#leaves.set(bytes.subarray(at, at + HASH_BYTES * count), HASH_BYTES * this.#count);
    this.#count += count;
  }

  /**
   * Hash the interior nodes and return the tree. The builder cannot be
   * appended to afterwards.
   *
   * @returns the finished tree
   * @throws nothing
   */
  finish(): MerkleTree {
    this.#finished = true;
    const levels: Uint8Array[] = [this.#leaves.subarray(0, HASH_BYTES * this.#count)];
    for (let n = this.#count; n > 1; n = (n + 1) >>> 1) levels.push(parentLevel(levels[levels.length - 1]!, n));
    return new MerkleTree(levels);
  }
}

/** Node messages hashed per pass, and the 128-byte slot each takes (0x01, two hashes, padding). */
const NODE_CHUNK = 1024;
const NODE_SLOT = 128;

interface NodeEngine {
  engine: Sha256x4;
  jobs: Int32Array;
  /** Where the children are copied, the padded node messages, and the hashes. */
  children: number;
  slots: number;
  out: number;
}

let nodeEngine: NodeEngine | undefined;

/** The SIMD engine that hashes tree levels (one per thread; every use is synchronous), or null without SIMD. */
function levelEngine(): NodeEngine | null {
  if (!simdEnabled()) return null;
  if (nodeEngine === undefined) {
    const engine = new Sha256x4();
    const children = DATA_START;
    const slots = children + 2 * HASH_BYTES * NODE_CHUNK;
    const out = slots + NODE_SLOT * NODE_CHUNK;
    engine.reserve(out + HASH_BYTES * NODE_CHUNK);
    // Every slot is a 65-byte message, padded once: only its first 65 bytes ever change.
    for (let j = 0; j < NODE_CHUNK; j++) {
      engine.bytes[slots + NODE_SLOT * j] = 0x01;
      engine.pad(slots + NODE_SLOT * j, 1 + 2 * HASH_BYTES);
    }
    nodeEngine = { engine, jobs: new Int32Array(3 * NODE_CHUNK), children, slots, out };
  }
  return nodeEngine;
}

/** @internal The level above `n` hashes: each pair hashed as a node, a lone last one carried up. */
function parentLevel(children: Uint8Array, n: number): Uint8Array {
  const pairs = n >>> 1;
  const parents = new Uint8Array(HASH_BYTES * ((n + 1) >>> 1));
  const simd = levelEngine();
  if (simd === null) {
    for (let j = 0; j < pairs; j++) {
      NODE_INPUT.set(children.subarray(2 * HASH_BYTES * j, 2 * HASH_BYTES * (j + 1)), 1);
      parents.set(sha256(NODE_INPUT), HASH_BYTES * j);
    }
  } else {
    const { engine, jobs, slots, out } = simd;
    const bytes = engine.bytes;
    for (let done = 0; done < pairs; done += NODE_CHUNK) {
      const m = Math.min(NODE_CHUNK, pairs - done);
      bytes.set(children.subarray(2 * HASH_BYTES * done, 2 * HASH_BYTES * (done + m)), simd.children);
      for (let j = 0; j < m; j++) {
        const at = slots + NODE_SLOT * j;
        bytes.copyWithin(at + 1, simd.children + 2 * HASH_BYTES * j, simd.children + 2 * HASH_BYTES * (j + 1));
        jobs[3 * j] = at;
        jobs[3 * j + 1] = 2;
        jobs[3 * j + 2] = out + HASH_BYTES * j;
      }
      engine.hashAll(jobs, m);
      parents.set(bytes.subarray(out, out + HASH_BYTES * m), HASH_BYTES * done);
    }
  }
  if ((n & 1) === 1) parents.set(children.subarray(HASH_BYTES * (n - 1), HASH_BYTES * n), HASH_BYTES * pairs);
  return parents;
}

/**
 * MTH of a list of leaf hashes.
 *
 * @param leafHashes each leaf's {@link merkleLeafHash}
 * @returns the root ({@link EMPTY_TREE_HASH} for none)
 * @throws RangeError for a hash that is not 32 bytes
 * @example
 * ```ts
 * toHex(merkleRoot([])) // 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
 * ```
 */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
  return MerkleTree.fromLeafHashes(leafHashes).root;
}

function proofInvalid(message: string): VerificationError {
  return new VerificationError('ERR_PROOF_INVALID', message);
}

/**
 * The root an inclusion proof leads to (RFC 9162 section 2.1.3.2): the leaf
 * hash is combined with each path hash, on the left or the right as the leaf
 * index and tree size dictate. An index outside the tree, or a path of the
 * wrong length, is refused rather than computed.
 *
 * @param index the leaf index
 * @param size the tree size
 * @param leafHash the leaf's {@link merkleLeafHash}
 * @param proof the audit path, bottom-up
 * @returns the root the proof leads to
 * @throws VerificationError `ERR_PROOF_INVALID` for an index not below the size, a path
 *   too short or too long, or a hash that is not 32 bytes
 * @example
 * ```ts
 * bytesEqual(rootFromInclusionProof(i, n, leafHash, proof), root)
 * ```
 */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_BATCH_SIZE) {
    throw proofInvalid(`the tree size ${size} is not an integer in [1, ${MAX_BATCH_SIZE}]`);
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw proofInvalid(`the leaf index ${index} is not inside a tree of ${size} leaves`);
  }
  if (leafHash.length !== HASH_BYTES) throw proofInvalid(`the leaf hash is ${leafHash.length} bytes, expected ${HASH_BYTES}`);
  let fn = index;
  let sn = size - 1;
  let r = bytesLatin1(leafHash);
  for (let i = 0; i < proof.length; i++) {
    const bytes = proof[i];
    if (sn === 0) throw proofInvalid(`the proof has ${proof.length} hashes, more than a tree of ${size} leaves needs for leaf ${index}`);
    if (!(bytes instanceof Uint8Array) || bytes.length !== HASH_BYTES) throw proofInvalid(`proof[${i}] is not a ${HASH_BYTES}-byte hash`);
    const p = bytesLatin1(bytes);
    if ((fn & 1) === 1 || fn === sn) {
      r = nodeHashLatin1(p, r);
      if ((fn & 1) === 0) {
        // Skip the levels where this node is the lone last one (carried up).
        while ((fn & 1) === 0 && fn !== 0) {
          fn >>>= 1;
          sn >>>= 1;
        }
      }
    } else {
      r = nodeHashLatin1(r, p);
    }
    fn >>>= 1;
    sn >>>= 1;
  }
  if (sn !== 0) throw proofInvalid(`the proof has ${proof.length} hashes, fewer than a tree of ${size} leaves needs for leaf ${index}`);
  return latin1Bytes(r);
}

/**
 * Check that leaf `index` of a tree of `size` leaves with root `root` has
 * hash `leafHash`, by its audit path.
 *
 * @param index the leaf index
 * @param size the tree size
 * @param leafHash the leaf's {@link merkleLeafHash}
 * @param proof the audit path, bottom-up
 * @param root the expected root
 * @returns nothing when the proof holds
 * @throws VerificationError `ERR_PROOF_INVALID` when it does not (or cannot) reach `root`
 * @example
 * ```ts
 * verifyInclusion(receipt.index, receipt.size, merkleLeafHash(receipt.leafBytes), receipt.proof, root);
 * ```
 */
export function verifyInclusion(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  const reached = rootFromInclusionProof(index, size, leafHash, proof);
  if (!bytesEqual(reached, root)) {
    throw proofInvalid(`the inclusion proof of leaf ${index} of ${size} leads to root ${toHex(reached)}, not ${toHex(root)}`);
  }
}
