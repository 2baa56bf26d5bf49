import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { sha256 } from 'multiformats/hashes/sha2';
import { InputError } from '../lib/errors.js';

/** Multicodec code of `json` (0x0200): record ids are CIDs of JSON payloads. */
export const JSON_CODEC = 0x0200;

/**
 * A record's id: CIDv1, codec `json`, multihash sha2-256 over the exact DSSE
 * payload bytes (never a re-serialization).
 *
 * @param payload the exact payload bytes of the record's envelope
 * @returns the id (its string form is base32 `bagaaiera...`)
 * @example
 * ```ts
 * recordId(payloadBytes).toString()
 * ```
 */
export function recordId(payload: Uint8Array): CID {
  const digest = new Uint8Array(createHash('sha256').update(payload).digest());
  return CID.createV1(JSON_CODEC, Digest.create(sha256.code, digest));
}

/**
 * Parse a record id given as text, accepting only CIDv1 with the `json`
 * codec and a sha2-256 multihash.
 *
 * @param text the id
 * @returns the CID
 * @throws InputError `ERR_MALFORMED`
 */
export function parseRecordId(text: string): CID {
  let cid: CID;
  try {
    cid = CID.parse(text.trim());
  } catch (err) {
    throw new InputError('ERR_MALFORMED', `${JSON.stringify(text)} is not a record id (CIDv1)`, { cause: err });
  }
  if (cid.version !== 1 || cid.code !== JSON_CODEC || cid.multihash.code !== sha256.code || cid.multihash.digest.length !== 32) {
    throw new InputError('ERR_MALFORMED', `${text} is not a provenant record id (expected CIDv1, codec json, sha2-256)`);
  }
  return cid;
}
