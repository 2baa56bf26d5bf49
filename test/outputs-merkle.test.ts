/**
 * RFC 6962 Merkle trees for output batches: the Certificate Transparency
 * known-answer vectors (the reference implementation's 8 leaves, as
 * transparency-dev/merkle and certificate-transparency-go test them), an
 * independent recursive MTH/PATH written from the RFC text, and properties:
 * every proof verifies, and no proof verifies for another leaf, index or size.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/lib/bytes.js';
import {
  EMPTY_TREE_HASH,
  merkleLeafHash,
  merkleNodeHash,
  merkleRoot,
  MerkleTree,
  MerkleTreeBuilder,
  rootFromInclusionProof,
  verifyInclusion,
} from '../src/outputs/merkle.js';
import { sha256x4Supported } from '../src/lib/sha256x4.js';
import { disableSimdForTesting } from '../src/outputs/sha256.js';
import { expectThrowCode } from './helpers.js';

const hex = (h: string) => fromHex(h)!;

/** The CT reference inputs (certificate-transparency-go / transparency-dev/merkle testonly). */
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);

/** MTH of the first n of LEAVES, n = 0..8. */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** transparency-dev/merkle proof/verify_test.go inclusionProofs (leaf index is 0-based here). */
const INCLUSION = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

const SOME_HASH = hex('abacaba000000000000000000000000000000000000000000060061e00123456');

// An independent reference, straight from RFC 6962 section 2.1, with createHash.
const h = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return new Uint8Array(hash.digest());
};
const refLeaf = (d: Uint8Array) => h(Uint8Array.of(0), d);
const split = (n: number) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
function refMth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return h();
  if (d.length === 1) return refLeaf(d[0]!);
  const k = split(d.length);
  return h(Uint8Array.of(1), refMth(d.slice(0, k)), refMth(d.slice(k)));
}
function refPath(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const k = split(d.length);
  return m < k ? [...refPath(m, d.slice(0, k)), refMth(d.slice(k))] : [...refPath(m - k, d.slice(k)), refMth(d.slice(0, k))];
}

/** Whether leaf `index` has the same audit-path shape (length and sides) in trees of `a` and `b` leaves. */
function sameShape(index: number, a: number, b: number): boolean {
  if (index >= a || index >= b) return false;
  const shape = (size: number) => {
    const sides: string[] = [];
    let fn = index;
    let sn = size - 1;
    while (sn > 0) {
      if ((fn & 1) === 1 || fn === sn) {
        sides.push('L');
        if ((fn & 1) === 0) while ((fn & 1) === 0 && fn !== 0) { fn >>>= 1; sn >>>= 1; }
      } else sides.push('R');
      fn >>>= 1;
      sn >>>= 1;
    }
    return sides.join('');
  };
  return shape(a) === shape(b);
}

function leavesOf(n: number, seed = 0): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => Uint8Array.of(i & 0xff, (i >> 8) & 0xff, seed & 0xff));
}

describe('RFC 6962 Merkle Tree Hash', () => {
  it('hashes the empty tree to SHA-256 of nothing', () => {
    expect(toHex(EMPTY_TREE_HASH)).toBe(ROOTS[0]);
    expect(toHex(merkleRoot([]))).toBe(ROOTS[0]);
    expect(MerkleTree.fromLeafHashes([]).size).toBe(0);
  });

  it('gives the CT reference roots for 1 to 8 leaves', () => {
    for (let n = 1; n <= 8; n++) {
      const hashes = LEAVES.slice(0, n).map((l) => merkleLeafHash(l));
      expect(toHex(merkleRoot(hashes)), `size ${n}`).toBe(ROOTS[n]);
    }
  });

  it('separates leaves from nodes: 0x00 and 0x01 prefixes', () => {
    expect(toHex(merkleLeafHash(new Uint8Array(0)))).toBe(ROOTS[1]);
    const a = merkleLeafHash(LEAVES[0]!);
    const b = merkleLeafHash(LEAVES[1]!);
    expect(toHex(merkleNodeHash(a, b))).toBe(ROOTS[2]);
    expect(toHex(merkleNodeHash(a, b))).toBe(toHex(h(Uint8Array.of(1), a, b)));
    // A string leaf is its UTF-8 bytes.
    expect(merkleLeafHash('héllo')).toEqual(merkleLeafHash(new TextEncoder().encode('héllo')));
    expect(() => merkleNodeHash(a, a.subarray(1))).toThrow(RangeError);
  });

  it('matches the reference MTH for every size up to 130, and its PATH for every leaf of every size up to 70', () => {
    for (let n = 0; n <= 130; n++) {
      const data = leavesOf(n, n);
      const tree = MerkleTree.fromLeafHashes(data.map((d) => merkleLeafHash(d)));
      expect(toHex(tree.root), `size ${n}`).toBe(toHex(refMth(data)));
      if (n > 70) continue;
      for (let m = 0; m < n; m++) expect(tree.proof(m).map(toHex), `leaf ${m} of ${n}`).toEqual(refPath(m, data).map(toHex));
    }
  });

  it('gives the reference trees with the SIMD node hashing and without it, across its 1024-pair passes', () => {
    expect(sha256x4Supported()).toBe(true);
    for (const n of [1, 2, 3, 5, 8, 9, 33, 1025, 2049, 2500]) {
      const data = leavesOf(n, 7);
      const hashes = data.map((d) => merkleLeafHash(d));
      const expected = toHex(refMth(data));
      const trees = [false, true].map((off) => {
        disableSimdForTesting(off);
        try {
          return MerkleTree.fromLeafHashes(hashes);
        } finally {
          disableSimdForTesting(false);
        }
      });
      for (const tree of trees) {
        expect(toHex(tree.root), `size ${n}`).toBe(expected);
        for (const m of [0, n >> 1, n - 1]) expect(() => verifyInclusion(m, n, hashes[m]!, tree.proof(m), tree.root)).not.toThrow();
      }
      expect(trees[0]!.proof(n - 1).map(toHex)).toEqual(trees[1]!.proof(n - 1).map(toHex));
    }
  });

  it('builds the same tree incrementally as from a list', () => {
    const data = leavesOf(77);
    const builder = new MerkleTreeBuilder();
    data.forEach((d, i) => expect(builder.append(merkleLeafHash(d))).toBe(i));
    expect(builder.size).toBe(77);
    const tree = builder.finish();
    expect(tree.root).toEqual(refMth(data));
    expect(() => builder.append(merkleLeafHash(data[0]!))).toThrow(TypeError);
    expect(() => new MerkleTreeBuilder().append(new Uint8Array(31))).toThrow(RangeError);
    expect(() => tree.proof(77)).toThrow(RangeError);
    expect(() => tree.proof(-1)).toThrow(RangeError);
  });
});

describe('inclusion proofs (RFC 9162 section 2.1.3)', () => {
  const tree8 = MerkleTree.fromLeafHashes(LEAVES.map((l) => merkleLeafHash(l)));

  for (const v of INCLUSION) {
    it(`gives and verifies the CT vector for leaf ${v.index} of ${v.size}`, () => {
      const tree = MerkleTree.fromLeafHashes(LEAVES.slice(0, v.size).map((l) => merkleLeafHash(l)));
      expect(tree.proof(v.index).map(toHex)).toEqual(v.proof);
      const root = hex(ROOTS[v.size]!);
      const leafHash = merkleLeafHash(LEAVES[v.index]!);
      const proof = v.proof.map(hex);
      expect(rootFromInclusionProof(v.index, v.size, leafHash, proof)).toEqual(root);
      verifyInclusion(v.index, v.size, leafHash, proof, root);

      // The corruptions transparency-dev/merkle's verifierCheck tries: none may verify.
      const probes: [string, number, number, Uint8Array, Uint8Array[], Uint8Array][] = [
        ['index - 1', v.index - 1, v.size, leafHash, proof, root],
        ['index + 1', v.index + 1, v.size, leafHash, proof, root],
        ['index ^ 2', v.index ^ 2, v.size, leafHash, proof, root],
        ['size * 2', v.index, v.size * 2, leafHash, proof, root],
        ['size / 2', v.index, Math.floor(v.size / 2), leafHash, proof, root],
        ['wrong leaf', v.index, v.size, new TextEncoder().encode('WrongLeaf'), proof, root],
        ['other leaf', v.index, v.size, merkleLeafHash(LEAVES[(v.index + 1) % 8]!), proof, root],
        ['empty root', v.index, v.size, leafHash, proof, EMPTY_TREE_HASH],
        ['random root', v.index, v.size, leafHash, proof, SOME_HASH],
        ['trailing garbage', v.index, v.size, leafHash, [...proof, new Uint8Array(0)], root],
        ['trailing root', v.index, v.size, leafHash, [...proof, root], root],
        ['preceding garbage', v.index, v.size, leafHash, [new Uint8Array(0), ...proof], root],
        ['preceding root', v.index, v.size, leafHash, [root, ...proof], root],
        ['removed component', v.index, v.size, leafHash, proof.slice(0, -1), root],
        ['inserted component', v.index, v.size, leafHash, [proof[0]!, SOME_HASH, ...proof.slice(1)], root],
      ];
      proof.forEach((_, i) => {
        const flipped = proof.map((p) => new Uint8Array(p));
        flipped[i]![0]! ^= 8;
        probes.push([`flipped proof[${i}]`, v.index, v.size, leafHash, flipped, root]);
      });
      for (const [what, index, size, leaf, path, expected] of probes) {
        let code: string | undefined;
        try {
          verifyInclusion(index, size, leaf, path, expected);
        } catch (err) {
          code = (err as { code?: string }).code;
        }
        expect(code, what).toBe('ERR_PROOF_INVALID');
      }
    });
  }

  it('verifies a one-leaf tree with an empty path, and refuses impossible indexes and sizes', () => {
    const leaf = merkleLeafHash(new TextEncoder().encode('data'));
    verifyInclusion(0, 1, leaf, [], leaf);
    expectThrowCode(() => verifyInclusion(0, 1, leaf, [], EMPTY_TREE_HASH), 'ERR_PROOF_INVALID');
    expectThrowCode(() => verifyInclusion(0, 1, new Uint8Array(0), [], leaf), 'ERR_PROOF_INVALID');
    for (const [index, size] of [[0, 0], [1, 0], [2, 1], [-1, 4], [0.5, 4], [8, 8], [0, 2 ** 25], [Number.NaN, 4]] as const) {
      expectThrowCode(() => rootFromInclusionProof(index, size, SOME_HASH, []), 'ERR_PROOF_INVALID');
    }
    expectThrowCode(() => verifyInclusion(0, 8, merkleLeafHash(LEAVES[0]!), tree8.proof(0).slice(0, 2), tree8.root), 'ERR_PROOF_INVALID');
  });

  it('property: every leaf of every tree up to 70 leaves verifies, and never for another leaf, index or size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 69 }),
        fc.integer({ min: 1, max: 140 }),
        (size, seed, otherRaw, otherSize) => {
          const data = leavesOf(size, seed);
          const hashes = data.map((d) => merkleLeafHash(d));
          const tree = MerkleTree.fromLeafHashes(hashes);
          for (let i = 0; i < size; i++) verifyInclusion(i, size, hashes[i]!, tree.proof(i), tree.root);
          const index = seed % size;
          const proof = tree.proof(index);
          const other = otherRaw % size;
          const fails = (fn: () => void) => {
            try {
              fn();
            } catch (err) {
              return (err as { code?: string }).code === 'ERR_PROOF_INVALID';
            }
            return false;
          };
          // Another leaf's hash at this index.
          if (other !== index) expect(fails(() => verifyInclusion(index, size, hashes[other]!, proof, tree.root))).toBe(true);
          // This leaf's proof claimed at another index.
          if (other !== index) expect(fails(() => verifyInclusion(other, size, hashes[index]!, proof, tree.root))).toBe(true);
          // Another tree size: refused unless that size gives the very same path shape (then the root, which
          // the batch record signs together with its count, is what tells them apart; see outputs.test.ts).
          if (otherSize !== size && !sameShape(index, size, otherSize)) {
            expect(fails(() => verifyInclusion(index, otherSize, hashes[index]!, proof, tree.root))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
