import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { sha256 } from 'multiformats/hashes/sha2';
import type { MultihashDigest } from 'multiformats/hashes/interface';

/** Multicodec code of `raw` bytes. */
export const RAW_CODEC = 0x55;

/**
 * Wrap a 32-byte SHA-256 digest as a multihash (`sha2-256`).
 *
 * @param digest the raw 32-byte digest
 * @returns the multihash
 * @throws RangeError when `digest` is not 32 bytes
 * @example
 * ```ts
 * const mh = sha256Multihash(digest); mh.bytes // 0x12 0x20 ...digest
 * ```
 */
export function sha256Multihash(digest: Uint8Array): MultihashDigest<typeof sha256.code> {
  if (!(digest instanceof Uint8Array) || digest.length !== 32) {
    throw new RangeError(`"digest" expected Uint8Array of length 32, got length=${(digest as Uint8Array | undefined)?.length}`);
  }
  return Digest.create(sha256.code, digest);
}

/**
 * A CIDv1 with the `raw` codec for content whose SHA-256 is `digest`, so a
 * record can link to a weight file by content.
 *
 * @param digest the raw 32-byte SHA-256 of the file
 * @returns the CID (`bafkrei...` in base32)
 * @throws RangeError when `digest` is not 32 bytes
 * @example
 * ```ts
 * rawCid(digest).toString() // 'bafkrei...'
 * ```
 */
export function rawCid(digest: Uint8Array): CID {
  return CID.createV1(RAW_CODEC, sha256Multihash(digest));
}
