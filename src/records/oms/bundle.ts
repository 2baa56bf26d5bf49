import { createHash } from 'node:crypto';
import { InputError, VerificationError } from '../../lib/errors.js';
import { isObject, parseJson } from '../../lib/json.js';
import { decodeBase64 } from '../../lib/bytes.js';
import { parseEnvelope } from '../../envelope/parse.js';
import type { Envelope, ParsedEnvelope } from '../../envelope/types.js';
import type { PublicKey } from '../../envelope/keys.js';

/** Sigstore bundle v0.3 media type, as OMS writes it. */
export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** The newer spelling of the same media type. */
export const BUNDLE_V03_MEDIA_TYPE_ALT = 'application/vnd.dev.sigstore.bundle+json;version=0.3';
/** in-toto payload type inside DSSE. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** A Sigstore bundle v0.3 around a DSSE envelope, signed with a public key. */
export interface KeyBundle {
  mediaType: typeof BUNDLE_V03_MEDIA_TYPE;
  verificationMaterial: { publicKey: { hint: string }; tlogEntries: [] };
  dsseEnvelope: Envelope;
}

/**
 * The `publicKey.hint` OMS writes: hex SHA-256 of the key's SPKI PEM as
 * re-encoded by the crypto library (64-character lines, LF, trailing LF).
 */
export function omsKeyHint(key: PublicKey): string {
  return createHash('sha256').update(key.pem).digest('hex');
}

/** Wrap a DSSE envelope into the bundle OMS writes for key-based signing. */
export function buildKeyBundle(envelope: Envelope, key: PublicKey): KeyBundle {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: omsKeyHint(key) }, tlogEntries: [] },
    dsseEnvelope: envelope,
  };
}

/** What the verifier needs from a bundle. */
export interface ParsedKeyBundle {
  envelope: ParsedEnvelope;
  /** The key hint, when the bundle has one. */
  hint?: string;
  /** The PEM carried by older OMS bundles (`publicKey.rawBytes`). */
  rawKeyPem?: string;
}

/**
 * Parse a Sigstore bundle that OMS wrote for key-based signing (v0.3 with
 * `publicKey.hint`, or the older `rawBytes` form). Bundles with certificate
 * or transparency-log material are not key bundles and are refused here.
 *
 * @param input the bundle's bytes or text
 * @returns the DSSE envelope and key hint
 * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED`; VerificationError `ERR_UNKNOWN_MEDIA_TYPE`, `ERR_KEY_MISMATCH`
 */
export function parseKeyBundle(input: string | Uint8Array): ParsedKeyBundle {
  const raw = parseJson(input, 'signature bundle');
  if (!isObject(raw)) throw new InputError('ERR_MALFORMED', 'signature bundle must be a JSON object');
  if (raw.mediaType !== BUNDLE_V03_MEDIA_TYPE && raw.mediaType !== BUNDLE_V03_MEDIA_TYPE_ALT) {
    throw new VerificationError(
      'ERR_UNKNOWN_MEDIA_TYPE',
      `signature bundle has media type ${JSON.stringify(raw.mediaType)}; expected ${BUNDLE_V03_MEDIA_TYPE}`,
    );
  }
  const vm = raw.verificationMaterial;
  if (!isObject(vm)) throw new InputError('ERR_MALFORMED', 'signature bundle has no verificationMaterial');
  if (vm.certificate !== undefined || vm.x509CertificateChain !== undefined) {
    throw new VerificationError(
      'ERR_KEY_MISMATCH',
      'signature bundle is certificate-based; verifying it with a public key is not accepted',
    );
  }
  if (Array.isArray(vm.tlogEntries) && vm.tlogEntries.length > 0) {
    throw new VerificationError('ERR_KEY_MISMATCH', 'signature bundle has transparency-log entries; it is not a key bundle');
  }
  const pk = vm.publicKey;
  if (!isObject(pk)) throw new InputError('ERR_MALFORMED', 'signature bundle has no verificationMaterial.publicKey');
  let hint: string | undefined;
  let rawKeyPem: string | undefined;
  if (pk.hint !== undefined) {
    if (typeof pk.hint !== 'string') throw new InputError('ERR_MALFORMED', 'verificationMaterial.publicKey.hint must be a string');
    hint = pk.hint;
  }
  if (pk.rawBytes !== undefined) {
    const bytes = typeof pk.rawBytes === 'string' ? decodeBase64(pk.rawBytes) : undefined;
    if (!bytes) throw new InputError('ERR_MALFORMED', 'verificationMaterial.publicKey.rawBytes is not base64');
    rawKeyPem = new TextDecoder().decode(bytes);
  }
  if (raw.dsseEnvelope === undefined) {
    throw new InputError('ERR_MALFORMED', 'signature bundle has no dsseEnvelope (message signatures are not OMS signatures)');
  }
  const envelope = parseEnvelope(raw.dsseEnvelope);
  return { envelope, ...(hint !== undefined ? { hint } : {}), ...(rawKeyPem !== undefined ? { rawKeyPem } : {}) };
}
