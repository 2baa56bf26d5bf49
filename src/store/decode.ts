import type { CID } from 'multiformats/cid';
import { parseEnvelope } from '../envelope/parse.js';
import type { EnvelopeLimits } from '../envelope/types.js';
import { InputError, VerificationError } from '../lib/errors.js';
import { recordId } from '../records/id.js';
import type { StoredRecord } from './types.js';

/**
 * Check stored envelope bytes against the id they are filed under and turn
 * them into a {@link StoredRecord}. The payload is hashed from the decoded
 * envelope bytes as they are; nothing is re-serialized.
 *
 * @param bytes the envelope bytes as stored (not copied: pass bytes you own)
 * @param id the id the bytes are filed under (file name, CAR index entry)
 * @param where where the bytes came from, for messages (a path, `file.car`)
 * @param limits envelope size and signature-count limits
 * @returns the record
 * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED` for bytes that are not a DSSE envelope
 * @throws VerificationError `ERR_RECORD_ID_MISMATCH` when the payload does not hash to `id`
 * @example
 * ```ts
 * const record = decodeStoredRecord(await readFile(path), parseRecordId(name), path);
 * ```
 */
export function decodeStoredRecord(bytes: Uint8Array, id: CID, where: string, limits: EnvelopeLimits = {}): StoredRecord {
  let parsed;
  try {
    parsed = parseEnvelope(bytes, limits);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(err.code, `${where}: ${err.message}`, { cause: err });
    throw err;
  }
  const actual = recordId(parsed.payload);
  if (!actual.equals(id)) {
    throw new VerificationError('ERR_RECORD_ID_MISMATCH', `${where}: the payload hashes to ${actual}, not to the record id ${id}`, {
      details: [`expected ${id}`, `actual ${actual}`],
    });
  }
  return { ...parsed, id: actual, envelopeBytes: bytes };
}
