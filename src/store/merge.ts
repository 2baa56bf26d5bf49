// Merging two envelopes of one record (internal, not exported).
import type { EnvelopeSignature, ParsedEnvelope } from '../envelope/types.js';
import { encodeBase64 } from '../lib/bytes.js';
import { InputError } from '../lib/errors.js';
import { canonicalJsonBytes } from '../lib/json.js';

/**
 * Decide what to store when a record with the same id is already stored.
 * The id covers the payload only, so two envelopes of one record differ only
 * in their signatures (co-signers adding theirs for M-of-N approval): the
 * stored envelope becomes the union, so a `put` never drops a signature.
 *
 * Signatures are the same when their decoded bytes are; `keyid` is an
 * unauthenticated hint and does not make a signature different.
 *
 * @param existing the envelope already stored
 * @param incoming the envelope being put
 * @param incomingBytes its bytes as given
 * @param maxSignatures the store's signature limit
 * @returns `undefined` when the stored envelope already has every incoming
 *   signature; otherwise the bytes to store: `incomingBytes` when the incoming
 *   envelope has every stored signature, else the canonical JSON of the union
 * @throws InputError `ERR_RECORD_CONFLICT` when the payload types differ
 * @throws InputError `ERR_LIMIT_EXCEEDED` when the union has too many signatures
 */
export function mergeEnvelopes(
  existing: ParsedEnvelope,
  incoming: ParsedEnvelope,
  incomingBytes: Uint8Array,
  maxSignatures: number,
): Uint8Array | undefined {
  if (existing.payloadType !== incoming.payloadType) {
    throw new InputError(
      'ERR_RECORD_CONFLICT',
      `a record with this payload is already stored with payloadType ${JSON.stringify(existing.payloadType)}, not ${JSON.stringify(incoming.payloadType)}`,
    );
  }
  const have = new Set(existing.signatures.map((s) => encodeBase64(s.sig)));
  const incomingKeys = new Set(incoming.signatures.map((s) => encodeBase64(s.sig)));
  const added: EnvelopeSignature[] = [];
  incoming.signatures.forEach((s, i) => {
    const key = encodeBase64(s.sig);
    if (have.has(key)) return;
    have.add(key);
    added.push(incoming.envelope.signatures[i]!);
  });
  if (added.length === 0) return undefined;
  if ([...have].every((k) => incomingKeys.has(k))) return incomingBytes;
  const signatures = [...existing.envelope.signatures, ...added];
  if (signatures.length > maxSignatures) {
    throw new InputError('ERR_LIMIT_EXCEEDED', `merging the signatures of this record gives ${signatures.length}, above the limit of ${maxSignatures}`);
  }
  return canonicalJsonBytes({ payload: existing.envelope.payload, payloadType: existing.payloadType, signatures });
}
