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
import { bytesLatin1, latin1Bytes, sha256, sha256Latin1 } from './sha256.js';

/** Bytes of a SHA-256 hash. */
export const HASH_BYTES = 32;

/** MTH({}): the hash of an empty tree, SHA-256 of nothing. */
export const EMPTY_TREE_HASH: Uint8Array = sha256(new Uint8Array(0));

// One scratch buffer for interior nodes: hashing is synchronous, so no two
// callers ever share it at the same time.
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_BYTES);
NODE_INPUT[0] = 0x01;

/** @internal The node hash on latin1 strings (the tree's internal form). */
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
 * Interior nodes are kept level by level (a lone last node is carried up
 * unchanged), which is exactly RFC 6962's split at the largest power of two.
 */
export class MerkleTree {
  /** Number of leaves. */
  readonly size: number;
  /** MTH of the leaves; {@link EMPTY_TREE_HASH} for an empty tree. */
  readonly root: Uint8Array;
  readonly #levels: readonly (readonly string[])[];

  /** @internal Use {@link MerkleTree.fromLeafHashes} or {@link MerkleTreeBuilder}. */
  constructor(levels: readonly (readonly string[])[]) {
    this.#levels = levels;
    this.size = levels[0]!.length;
    this.root = this.size === 0 ? EMPTY_TREE_HASH : latin1Bytes(levels[levels.length - 1]![0]!);
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
   * @returns the sibling hashes from the leaf's level up to the root's children
   * @throws RangeError for an index outside the tree
   * @example
   * ```ts
   * verifyInclusion(3, tree.size, leafHash, tree.proof(3), tree.root);
   * ```
   */
  proof(index: number): Uint8Array[] {
    return this.proofLatin1(index).map(latin1Bytes);
  }

  /** @internal The audit path in the tree's internal form (latin1 strings). */
  proofLatin1(index: number): string[] {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`"index" expected an integer in [0, ${this.size}), got ${index}`);
    }
    const path: string[] = [];
    const levels = this.#levels;
    let i = index;
    for (let k = 0; k < levels.length - 1; k++) {
      const level = levels[k]!;
      const sibling = i ^ 1;
      // A lone last node has no sibling at this level: it is carried up.
      if (sibling < level.length) path.push(level[sibling]!);
      i >>>= 1;
    }
    return path;
  }
}

/**
 * Builds a Merkle tree one leaf at a time, hashing each completed pair as it
 * appears, so finishing a tree of n leaves costs only O(log n) hashes: the
 * work of a batch is spread over the calls that fill it.
 *
 * @example
 * ```ts
 * const builder = new MerkleTreeBuilder();
 * for (const leaf of leaves) builder.append(merkleLeafHash(leaf));
 * const tree = builder.finish();
 * ```
 */
export class MerkleTreeBuilder {
  readonly #levels: string[][] = [[]];
  #finished = false;

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#levels[0]!.length;
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
    return this.appendLatin1(bytesLatin1(leafHash));
  }

  /** @internal {@link MerkleTreeBuilder.append} for a hash already in latin1 form (32 characters). */
  appendLatin1(leafHash: string): number {
    if (this.#finished) throw new TypeError('the tree is finished');
    const levels = this.#levels;
    const leaves = levels[0]!;
    if (leaves.length >= MAX_BATCH_SIZE) throw new RangeError(`a tree holds at most ${MAX_BATCH_SIZE} leaves`);
    const index = leaves.push(leafHash) - 1;
    // Hash every pair this leaf completes, up the levels.
    let level = leaves;
    for (let k = 0; (level.length & 1) === 0; k++) {
      const n = level.length;
      const parent = levels[k + 1] ?? (levels[k + 1] = []);
      parent.push(nodeHashLatin1(level[n - 2]!, level[n - 1]!));
      level = parent;
    }
    return index;
  }

  /**
   * Complete the right edge of the tree (lone nodes are carried up) and
   * return it. The builder cannot be appended to afterwards.
   *
   * @returns the finished tree
   * @throws nothing
   */
  finish(): MerkleTree {
    this.#finished = true;
    const levels = this.#levels;
    for (let k = 0; levels[k]!.length > 1; k++) {
      const level = levels[k]!;
      const parent = levels[k + 1] ?? (levels[k + 1] = []);
      const want = (level.length + 1) >>> 1;
      while (parent.length < want) {
        const left = 2 * parent.length;
        parent.push(left + 1 < level.length ? nodeHashLatin1(level[left]!, level[left + 1]!) : level[left]!);
      }
    }
    // The loop stops at the first level of one node: the root. No level above it was ever made.
    return new MerkleTree(levels);
  }
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
