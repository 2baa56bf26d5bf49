// Argument normalization shared by the stores (internal, not exported).
import { CID } from 'multiformats/cid';
import { parseEnvelope } from '../envelope/parse.js';
import type { EnvelopeLimits } from '../envelope/types.js';
import { utf8 } from '../lib/bytes.js';
import { canonicalJsonBytes } from '../lib/json.js';
import { parseRecordId } from '../records/id.js';
import type { EnvelopeInput, RecordIdInput } from './types.js';

/**
 * A record id from a CID or its text, accepting only provenant's form
 * (CIDv1, codec json, sha2-256).
 *
 * @throws InputError `ERR_MALFORMED` for another kind of CID or bad text
 * @throws TypeError for a value that is neither
 */
export function asRecordId(id: RecordIdInput): CID {
  if (typeof id === 'string') return parseRecordId(id);
  const cid = CID.asCID(id);
  if (!cid) throw new TypeError('"id" expected a CID or a string');
  return parseRecordId(cid.toString());
}

/**
 * The bytes to store for an envelope: bytes and text exactly as given (bytes
 * copied, so the caller may reuse its buffer once this returns), an object
 * validated then written as canonical JSON.
 *
 * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED` for an invalid envelope object
 * @throws TypeError for a value of another type
 */
export function envelopeBytesOf(input: EnvelopeInput, limits: EnvelopeLimits): Uint8Array {
  if (input instanceof Uint8Array) return new Uint8Array(input);
  if (typeof input === 'string') return utf8(input);
  if (typeof input !== 'object' || input === null) throw new TypeError('"envelope" expected bytes, a string or an envelope object');
  return canonicalJsonBytes(parseEnvelope(input, limits).envelope);
}
