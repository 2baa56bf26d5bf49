/**
 * What @sigstore/verify calls "signature content": the signed bytes, and how
 * to check a signature and a transparency-log digest against them. We supply
 * our own instead of the library's (see {@link ./verify.ts}), because 3.x
 *  - verifies every EC DSSE signature with SHA-256 (a P-384 key signs with
 *    SHA-384: the OMS elliptic-key bundles fail), and
 *  - passes 'sha256' for Ed25519 message signatures, which Node refuses, and
 *  - compares a DSSE bundle's tlog digest only with SHA-256(payload), while
 *    Rekor v2's hashedrekord-over-DSSE entry records SHA-256(PAE).
 */
import { createHash, timingSafeEqual, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { SignedEntity } from '@sigstore/verify';
import { pae, verifySignature, type PublicKey } from 'provenant';

/** The library's signature-content interface. */
export type SignatureContent = SignedEntity['signature'];

/** Node's name for each protobuf HashAlgorithm a message digest may use. */
export const NODE_HASH: Readonly<Record<string, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, {
    SHA2_256: 'sha256',
    SHA2_384: 'sha384',
    SHA2_512: 'sha512',
    SHA3_256: 'sha3-256',
    SHA3_384: 'sha3-384',
  }),
);

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * A DSSE envelope with exactly one signature, verified with the key's own
 * hash (the core's `verifySignature`), and only with the key we expect: the
 * certificate's, or the caller's.
 */
export class DsseContent implements SignatureContent {
  readonly signature: Buffer;
  readonly preAuthEncoding: Uint8Array;
  private readonly payloadDigest: Buffer;
  private readonly paeDigest: Buffer;

  constructor(
    envelope: { payload: Uint8Array; payloadType: string; signature: Buffer },
    private readonly key: PublicKey,
  ) {
    this.signature = envelope.signature;
    this.preAuthEncoding = pae(envelope.payloadType, envelope.payload);
    this.payloadDigest = sha256(envelope.payload);
    this.paeDigest = sha256(this.preAuthEncoding);
  }

  compareSignature(signature: Buffer): boolean {
    return same(signature, this.signature);
  }

  /**
   * dsse and intoto entries record SHA-256(payload); a Rekor v2 hashedrekord
   * entry over DSSE records SHA-256(PAE). Which one each entry must carry is
   * checked entry by entry before the library runs (`checkTlogDigests`).
   */
  compareDigest(digest: Buffer): boolean {
    return same(digest, this.payloadDigest) || same(digest, this.paeDigest);
  }

  verifySignature(key: KeyObject): boolean {
    return key.equals(this.key.keyObject) && verifySignature(this.key, this.preAuthEncoding, this.signature);
  }

  /** SHA-256 of the payload and of the PAE, for the per-entry digest checks. */
  digests(): { payload: Buffer; pae: Buffer } {
    return { payload: this.payloadDigest, pae: this.paeDigest };
  }
}

/** A message signature over an artifact, with the digest algorithm the bundle names. */
export class MessageContent implements SignatureContent {
  readonly signature: Buffer;
  private readonly digest: Buffer;
  private readonly hash: string;

  constructor(
    messageSignature: { algorithm: string; digest: Buffer; signature: Buffer },
    private readonly artifact: Uint8Array,
    private readonly key: KeyObject,
  ) {
    this.signature = messageSignature.signature;
    this.digest = messageSignature.digest;
    this.hash = NODE_HASH[messageSignature.algorithm] ?? 'sha256';
  }

  compareSignature(signature: Buffer): boolean {
    return same(signature, this.signature);
  }

  compareDigest(digest: Buffer): boolean {
    return same(digest, this.digest);
  }

  verifySignature(key: KeyObject): boolean {
    if (!key.equals(this.key)) return false;
    try {
      // Ed25519 signs the message itself (no pre-hash), so Node wants no digest name.
      const hash = key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : this.hash;
      return cryptoVerify(hash, this.artifact, key, this.signature);
    } catch {
      return false;
    }
  }
}
