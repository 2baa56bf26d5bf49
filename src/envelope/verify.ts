import { VerificationError } from '../lib/errors.js';
import { thresholdError } from './threshold.js';
import { verifySignature, type PublicKey } from './keys.js';
import { pae } from './pae.js';
import type { ParsedEnvelope } from './types.js';

/** Trust material for {@link verifyEnvelope}. */
export interface VerifyEnvelopeOptions {
  /** The keys trusted to sign. Nothing else counts. */
  keys: readonly PublicKey[];
  /** How many distinct trusted keys must have signed (default 1). */
  threshold?: number;
  /** Accept only this payloadType (recommended). */
  payloadType?: string;
}

/** What a successful verification established. */
export interface VerifiedEnvelope {
  payload: Uint8Array;
  payloadType: string;
  /** Key ids of the distinct trusted keys whose signatures verified. */
  signedBy: string[];
}

/**
 * Verify a DSSE envelope against trusted keys with a threshold. Each distinct
 * trusted key counts once however many times it signs; a bad signature never
 * counts; `keyid` is only a hint (every trusted key is tried).
 *
 * @param parsed the output of `parseEnvelope`
 * @param options trusted keys, threshold, expected payloadType
 * @returns the verified payload and the key ids that signed it
 * @throws VerificationError `ERR_PAYLOAD_TYPE`, `ERR_THRESHOLD_NOT_MET`, `ERR_SIGNATURE_INVALID`
 * @throws RangeError for a threshold below 1
 * @example
 * ```ts
 * const { payload } = verifyEnvelope(parseEnvelope(text), { keys: [key], threshold: 1 });
 * ```
 */
export function verifyEnvelope(parsed: ParsedEnvelope, options: VerifyEnvelopeOptions): VerifiedEnvelope {
  const threshold = options.threshold ?? 1;
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`"threshold" expected an integer >= 1, got ${threshold}`);
  if (options.payloadType !== undefined && parsed.payloadType !== options.payloadType) {
    throw new VerificationError(
      'ERR_PAYLOAD_TYPE',
      `payloadType is ${JSON.stringify(parsed.payloadType)}, expected ${JSON.stringify(options.payloadType)}`,
    );
  }
  const message = pae(parsed.payloadType, parsed.payload);
  const signedBy = new Set<string>();
  for (const { keyid, sig } of parsed.signatures) {
    // Try the hinted key first, then every other trusted key not yet counted.
    const candidates = [...options.keys].sort((a, b) => Number(b.keyId === keyid) - Number(a.keyId === keyid));
    for (const key of candidates) {
      if (signedBy.has(key.keyId)) continue;
      if (verifySignature(key, message, sig)) {
        signedBy.add(key.keyId);
        break;
      }
    }
  }
  if (signedBy.size < threshold) {
    throw thresholdError(signedBy.size, threshold, 'no signature on the envelope verifies with a trusted key', 'the envelope');
  }
  return { payload: parsed.payload, payloadType: parsed.payloadType, signedBy: [...signedBy] };
}
