import { encodeBase64 } from '../lib/bytes.js';
import type { Signer } from './keys.js';
import { pae } from './pae.js';
import type { Envelope } from './types.js';

/** Options of {@link signEnvelope}. */
export interface SignEnvelopeOptions {
  /**
   * What to put in each signature's `keyid`: the signer's RFC 7638
   * thumbprint (default), or an explicit string (`''` as OMS writes).
   */
  keyid?: string;
}

/**
 * Sign `payload` into a DSSE envelope. With several signers the envelope
 * carries one signature each (M-of-N approval).
 *
 * @param payloadType the payload's media type
 * @param payload the exact bytes to sign
 * @param signers one or more signers
 * @param options keyid to write
 * @returns the envelope (standard base64)
 * @throws TypeError when no signer is given
 * @example
 * ```ts
 * const env = await signEnvelope('application/vnd.in-toto+json', bytes, [signer]);
 * ```
 */
export async function signEnvelope(
  payloadType: string,
  payload: Uint8Array,
  signers: readonly Signer[],
  options: SignEnvelopeOptions = {},
): Promise<Envelope> {
  if (signers.length === 0) throw new TypeError('"signers" expected at least one signer');
  const bytes = new Uint8Array(payload);
  const message = pae(payloadType, bytes);
  const signatures = [];
  for (const signer of signers) {
    const sig = await signer.sign(message);
    signatures.push({ keyid: options.keyid ?? signer.publicKey.keyId, sig: encodeBase64(sig) });
  }
  return { payload: encodeBase64(bytes), payloadType, signatures };
}

/** Add signatures to an existing envelope (another approver co-signs). */
export async function addSignatures(envelope: Envelope, payload: Uint8Array, signers: readonly Signer[]): Promise<Envelope> {
  const more = await signEnvelope(envelope.payloadType, payload, signers);
  return { ...envelope, signatures: [...envelope.signatures, ...more.signatures] };
}
