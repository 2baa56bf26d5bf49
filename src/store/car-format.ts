// The provenant CAR layout (docs/reference/car-format.md): block identities and the
// index block. Shared by export, import and CarStore.
import { createHash } from 'node:crypto';
import type { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { bytesEqual } from '../lib/bytes.js';
import { InputError, VerificationError } from '../lib/errors.js';
import { canonicalJsonBytes, isObject, parseJson } from '../lib/json.js';
import { JSON_CODEC, parseRecordId, recordId } from '../records/id.js';

/** The `type` of a provenant CAR index block. */
export const CAR_INDEX_TYPE = 'https://provenant.dev/car/v1';

/** Largest index block accepted by default (about 400,000 records). */
export const MAX_CAR_INDEX_BYTES = 64 * 1024 * 1024;

/** One record of a CAR: its id (= payload block) and its envelope block. */
export interface CarIndexEntry {
  /** The record id; also the CID of the payload block. */
  id: CID;
  /** The CID of the envelope block (CIDv1, json, sha2-256 over the envelope bytes). */
  envelope: CID;
}

/**
 * The CID of a block of JSON bytes (an envelope or the index): CIDv1, codec
 * json, sha2-256. A payload block's CID computed this way is its record id.
 *
 * @param bytes the block bytes
 * @returns the CID
 * @example
 * ```ts
 * jsonBlockCid(record.envelopeBytes) // the envelope block's CID
 * ```
 */
export function jsonBlockCid(bytes: Uint8Array): CID {
  return recordId(bytes);
}

/**
 * Refuse a block CID that is not CIDv1, codec json, sha2-256 (the only kind
 * a provenant CAR holds), before any of its bytes are read.
 *
 * @param cid the block's CID
 * @param where the CAR, for messages
 * @throws InputError `ERR_MALFORMED`
 * @example
 * ```ts
 * assertJsonBlockCid(block.cid, 'chain.car');
 * ```
 */
export function assertJsonBlockCid(cid: CID, where: string): void {
  if (cid.version !== 1 || cid.code !== JSON_CODEC || cid.multihash.code !== sha256.code || cid.multihash.digest.length !== 32) {
    throw new InputError('ERR_MALFORMED', `${where}: block ${cid} is not a CIDv1 json/sha2-256 block (not a provenant CAR)`);
  }
}

/**
 * Check that a block's bytes hash to its CID (a json/sha2-256 CID, see
 * {@link assertJsonBlockCid}).
 *
 * @param cid the block's CID
 * @param bytes the block's bytes
 * @param where the CAR, for messages
 * @throws VerificationError `ERR_BLOCK_MISMATCH`
 * @example
 * ```ts
 * checkBlock(cid, bytes, 'chain.car');
 * ```
 */
export function checkBlock(cid: CID, bytes: Uint8Array, where: string): void {
  const digest = new Uint8Array(createHash('sha256').update(bytes).digest());
  if (!bytesEqual(digest, cid.multihash.digest)) {
    throw new VerificationError('ERR_BLOCK_MISMATCH', `${where}: block ${cid} does not hash to its CID (the CAR was altered)`, {
      details: [`block ${cid}`],
    });
  }
}

/**
 * Encode the index block: canonical JSON, records sorted by id.
 *
 * @param entries the records (any order; ids must be distinct)
 * @returns the index block bytes
 * @example
 * ```ts
 * const index = encodeCarIndex([{ id, envelope: jsonBlockCid(envelopeBytes) }]);
 * ```
 */
export function encodeCarIndex(entries: readonly CarIndexEntry[]): Uint8Array {
  const records = entries.map((e) => ({ id: e.id.toString(), envelope: e.envelope.toString() }));
  records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return canonicalJsonBytes({ type: CAR_INDEX_TYPE, records });
}

/**
 * Parse and validate an index block: exactly the keys `type` and `records`,
 * the expected type, entries with exactly `id` and `envelope`, ids strictly
 * ascending (sorted, no duplicates), every CID a json/sha2-256 CIDv1.
 *
 * @param bytes the index block bytes
 * @param where the CAR, for messages
 * @param maxBytes size limit
 * @returns the entries, in id order
 * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED`
 * @example
 * ```ts
 * const entries = parseCarIndex(rootBlock.bytes, 'chain.car');
 * ```
 */
export function parseCarIndex(bytes: Uint8Array, where: string, maxBytes = MAX_CAR_INDEX_BYTES): CarIndexEntry[] {
  const value = parseJson(bytes, `${where}: CAR index block`, { maxBytes, maxDepth: 4 });
  const bad = (msg: string): never => {
    throw new InputError('ERR_MALFORMED', `${where}: CAR index block: ${msg}`);
  };
  if (!isObject(value)) return bad('expected a JSON object');
  for (const key of Object.keys(value)) if (key !== 'type' && key !== 'records') bad(`unexpected key ${JSON.stringify(key)}`);
  if (value.type !== CAR_INDEX_TYPE) bad(`type: expected ${JSON.stringify(CAR_INDEX_TYPE)}, got ${JSON.stringify(value.type)}`);
  if (!Array.isArray(value.records)) return bad('records: expected an array');
  const entries: CarIndexEntry[] = [];
  let previous = '';
  value.records.forEach((entry, i) => {
    const at = `records[${i}]`;
    if (!isObject(entry)) return bad(`${at}: expected an object`);
    for (const key of Object.keys(entry)) if (key !== 'id' && key !== 'envelope') bad(`${at}: unexpected key ${JSON.stringify(key)}`);
    if (typeof entry.id !== 'string') return bad(`${at}.id: expected a record id string`);
    if (typeof entry.envelope !== 'string') return bad(`${at}.envelope: expected a CID string`);
    const id = cidField(entry.id, `${at}.id`, bad);
    const envelope = cidField(entry.envelope, `${at}.envelope`, bad);
    // Only the canonical spelling, so the same chain always has one index.
    if (id.toString() !== entry.id) bad(`${at}.id: not in canonical base32 form`);
    if (envelope.toString() !== entry.envelope) bad(`${at}.envelope: not in canonical base32 form`);
    if (entry.id <= previous) bad(`${at}.id: records must be sorted by id, without duplicates`);
    previous = entry.id;
    entries.push({ id, envelope });
  });
  return entries;
}

function cidField(text: string, at: string, bad: (msg: string) => never): CID {
  try {
    return parseRecordId(text);
  } catch {
    return bad(`${at}: not a CIDv1 json/sha2-256 (${JSON.stringify(text.slice(0, 80))})`);
  }
}
