/*
 * The JWS form of a record, for web clients that already speak JOSE. The
 * payload is the same exact bytes a DSSE envelope would carry; each signature
 * covers `ASCII(BASE64URL(protected) "." BASE64URL(payload))` (RFC 7515 §5.1).
 */

import { base64url, errors as joseErrors, flattenedVerify } from 'jose';
import { decodeBase64, utf8 } from '../lib/bytes.js';
import { derToRawEcdsa } from '../lib/der.js';
import { InputError, VerificationError } from '../lib/errors.js';
import { thresholdError } from './threshold.js';
import { isObject, parseJson } from '../lib/json.js';
import { verifySignature, type KeyAlgorithm, type PublicKey, type Signer } from './keys.js';
import { MAX_ENVELOPE_BYTES, MAX_SIGNATURES, type EnvelopeLimits } from './types.js';

/** JWS algorithms provenant signs and verifies with (RFC 7518 §3.4, RFC 8037). */
export type JwsAlgorithm = 'EdDSA' | 'ES256' | 'ES384' | 'ES512';

/** Every algorithm {@link verifyJws} can be told to accept. */
export const JWS_ALGORITHMS: readonly JwsAlgorithm[] = ['EdDSA', 'ES256', 'ES384', 'ES512'];

/** One key type, one JWS algorithm: the curve fixes the hash. */
const JWS_ALGORITHM_OF: Record<KeyAlgorithm, JwsAlgorithm> = { ed25519: 'EdDSA', p256: 'ES256', p384: 'ES384', p521: 'ES512' };
const COORDINATE_BYTES: Record<Exclude<KeyAlgorithm, 'ed25519'>, number> = { p256: 32, p384: 48, p521: 66 };

/** A JWS in the general JSON serialization (RFC 7515 §7.2.1). */
export interface GeneralJws {
  payload: string;
  signatures: { protected: string; header?: Record<string, unknown>; signature: string }[];
}

/** A JWS in the flattened JSON serialization (RFC 7515 §7.2.2). */
export interface FlattenedJws {
  payload: string;
  protected: string;
  header?: Record<string, unknown>;
  signature: string;
}

/** Options of {@link toJwsCompact} and {@link toJwsGeneral}. */
export interface SignJwsOptions {
  /**
   * The `kid` to put in each protected header: the signer's RFC 7638
   * thumbprint (default), an explicit string, or `false` for none. It is a
   * hint only; verification never trusts it.
   */
  kid?: string | false;
  /** `typ` header parameter (e.g. `"JOSE+JSON"`). */
  typ?: string;
  /** `cty` header parameter, the payload's media type (e.g. `application/vnd.in-toto+json`). */
  cty?: string;
}

/** Trust material for {@link verifyJws}. */
export interface VerifyJwsOptions extends EnvelopeLimits {
  /** The keys trusted to sign. Nothing else counts. */
  keys: readonly PublicKey[];
  /**
   * The algorithms accepted, named explicitly (no default). A signature whose
   * protected `alg` is not listed, or does not match the key, never counts.
   */
  algorithms: readonly JwsAlgorithm[];
  /** How many distinct trusted keys must have signed (default 1). */
  threshold?: number;
  /** Count only signatures whose protected `cty` equals this. */
  contentType?: string;
}

/** What a successful {@link verifyJws} established. */
export interface VerifiedJws {
  /** The exact payload bytes. */
  payload: Uint8Array;
  /** Key ids of the distinct trusted keys whose signatures verified. */
  signedBy: string[];
}

/** Why one signature did not count. */
type Rejection = 'algorithm' | 'content-type' | 'signature';

function jwsAlgorithmOf(key: PublicKey): JwsAlgorithm {
  return JWS_ALGORITHM_OF[key.algorithm];
}

/** Strict unpadded base64url, one encoding per value (RFC 7515 §2). */
function decodeSegment(text: unknown, what: string): Uint8Array {
  const bytes = typeof text === 'string' && /^[A-Za-z0-9_-]*$/.test(text) ? decodeBase64(text) : undefined;
  if (!bytes) throw new InputError('ERR_MALFORMED', `malformed JWS: ${what}: not unpadded base64url`);
  return bytes;
}

async function signOne(payloadB64: string, signer: Signer, options: SignJwsOptions): Promise<{ protected: string; signature: string }> {
  const key = signer.publicKey;
  const alg = jwsAlgorithmOf(key);
  const header: Record<string, string> = { alg };
  const kid = options.kid ?? key.keyId;
  if (kid !== false) header.kid = kid;
  if (options.typ !== undefined) header.typ = options.typ;
  if (options.cty !== undefined) header.cty = options.cty;
  const protectedB64 = base64url.encode(JSON.stringify(header));
  const input = utf8(`${protectedB64}.${payloadB64}`);
  const produced = await signer.sign(input);
  let signature: Uint8Array;
  if (key.algorithm === 'ed25519') {
    signature = produced;
  } else {
    const size = COORDINATE_BYTES[key.algorithm];
    try {
      signature = derToRawEcdsa(produced, size);
    } catch (err) {
      // A signer (a KMS) may already return IEEE P1363 r||s.
      if (produced.length !== 2 * size) throw err;
      signature = produced;
    }
  }
  // Catch a signer that signs with another key or encoding before the JWS leaves us.
  if (signature.length !== (key.algorithm === 'ed25519' ? 64 : 2 * COORDINATE_BYTES[key.algorithm]) || !verifySignature(key, input, signature)) {
    throw new VerificationError('ERR_SIGNATURE_INVALID', `the signer's ${alg} signature does not verify with its public key ${key.keyId}`);
  }
  return { protected: protectedB64, signature: base64url.encode(signature) };
}

/**
 * Sign `payload` as a JWS in the compact serialization (one signature):
 * `EdDSA` for Ed25519, `ES256` for P-256, `ES384` for P-384. A signer's DER
 * ECDSA signature is converted to the raw `r || s` JWS requires.
 *
 * @param payload the exact bytes to sign (a record's canonical JSON payload)
 * @param signer the signer
 * @param options header parameters (`kid`, `typ`, `cty`)
 * @returns `header.payload.signature`
 * @throws VerificationError `ERR_SIGNATURE_INVALID` if the signer's signature does not verify with its own public key
 * @throws InputError `ERR_MALFORMED` if the signer returns neither DER nor raw ECDSA
 * @example
 * ```ts
 * const jws = await toJwsCompact(payloadBytes, signer, { cty: 'application/vnd.in-toto+json' });
 * ```
 */
export async function toJwsCompact(payload: Uint8Array, signer: Signer, options: SignJwsOptions = {}): Promise<string> {
  const payloadB64 = base64url.encode(new Uint8Array(payload));
  const sig = await signOne(payloadB64, signer, options);
  return `${sig.protected}.${payloadB64}.${sig.signature}`;
}

/**
 * Sign `payload` as a JWS in the general JSON serialization, one signature
 * per signer (M-of-N approval, as a DSSE envelope with several signatures).
 *
 * @param payload the exact bytes to sign
 * @param signers one or more signers
 * @param options header parameters written into every signature's protected header
 * @returns `{ payload, signatures: [{ protected, signature }] }`
 * @throws TypeError when no signer is given
 * @throws VerificationError `ERR_SIGNATURE_INVALID` if a signer's signature does not verify with its own public key
 * @throws InputError `ERR_MALFORMED` if a signer returns neither DER nor raw ECDSA
 * @example
 * ```ts
 * const jws = await toJwsGeneral(payloadBytes, [alice, bob]);
 * const { signedBy } = await verifyJws(jws, { keys, threshold: 2, algorithms: ['EdDSA'] });
 * ```
 */
export async function toJwsGeneral(payload: Uint8Array, signers: readonly Signer[], options: SignJwsOptions = {}): Promise<GeneralJws> {
  if (signers.length === 0) throw new TypeError('"signers" expected at least one signer');
  const payloadB64 = base64url.encode(new Uint8Array(payload));
  const signatures = [];
  for (const signer of signers) signatures.push(await signOne(payloadB64, signer, options));
  return { payload: payloadB64, signatures };
}

interface NormalizedJws {
  payload: string;
  signatures: { protected: unknown; header: unknown; signature: unknown }[];
}

function normalize(input: string | Uint8Array | GeneralJws | FlattenedJws, maxBytes: number): NormalizedJws {
  let value: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
    const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
    if (size > maxBytes) throw new InputError('ERR_LIMIT_EXCEEDED', `JWS is ${size} bytes, above the limit of ${maxBytes}`);
    const trimmed = text.trim();
    if (!trimmed.startsWith('{')) {
      const parts = trimmed.split('.');
      if (parts.length !== 3) throw new InputError('ERR_MALFORMED', `malformed JWS: compact serialization has ${parts.length} parts, expected 3`);
      return { payload: parts[1]!, signatures: [{ protected: parts[0]!, header: undefined, signature: parts[2]! }] };
    }
    value = parseJson(input, 'JWS', { maxBytes });
  }
  if (!isObject(value)) throw new InputError('ERR_MALFORMED', 'malformed JWS: expected a compact string or a JSON object');
  if (typeof value.payload !== 'string') throw new InputError('ERR_MALFORMED', 'malformed JWS: payload: expected a base64url string');
  let signatures: unknown[];
  if ('signatures' in value) {
    if ('signature' in value || 'protected' in value || 'header' in value) {
      throw new InputError('ERR_MALFORMED', 'malformed JWS: mixes the general and flattened serializations');
    }
    if (!Array.isArray(value.signatures)) throw new InputError('ERR_MALFORMED', 'malformed JWS: signatures: expected an array');
    signatures = value.signatures;
  } else {
    signatures = [value];
  }
  const out: NormalizedJws = { payload: value.payload, signatures: [] };
  let size = value.payload.length;
  signatures.forEach((s, i) => {
    if (!isObject(s)) throw new InputError('ERR_MALFORMED', `malformed JWS: signatures[${i}]: expected an object`);
    if (typeof s.protected === 'string') size += s.protected.length;
    if (typeof s.signature === 'string') size += s.signature.length;
    out.signatures.push({ protected: s.protected, header: s.header, signature: s.signature });
  });
  if (size > maxBytes) throw new InputError('ERR_LIMIT_EXCEEDED', `JWS is over ${maxBytes} bytes, the limit`);
  return out;
}

/**
 * Verify a JWS (compact, flattened or general JSON serialization) against
 * trusted keys with a threshold, like a DSSE envelope: each distinct trusted
 * key counts once; a bad signature never counts; `kid` is only a hint. A
 * signature counts only if its protected header names an accepted `alg` that
 * matches the key (EdDSA/Ed25519, ES256/P-256, ES384/P-384, ES512/P-521);
 * `none`, HMAC and every other algorithm are refused. Unencoded payloads
 * (RFC 7797 `b64: false`) are not accepted, so the payload always means one
 * thing. jose does the cryptographic check.
 *
 * @param jws the JWS: a compact string, JSON text or bytes, or a parsed object
 * @param options trusted keys, accepted algorithms, threshold, content type, limits
 * @returns the exact payload bytes and the key ids that signed them
 * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED`
 * @throws VerificationError `ERR_ALGORITHM_NOT_ALLOWED` (no signature uses an accepted algorithm),
 *   `ERR_PAYLOAD_TYPE` (no signature has the expected `cty`), `ERR_SIGNATURE_INVALID`, `ERR_THRESHOLD_NOT_MET`
 * @throws TypeError when `algorithms` is empty or names an algorithm provenant does not support;
 *   RangeError for a threshold below 1
 * @example
 * ```ts
 * const { payload } = await verifyJws(jws, { keys: [key], algorithms: ['ES256'] });
 * ```
 */
export async function verifyJws(jws: string | Uint8Array | GeneralJws | FlattenedJws, options: VerifyJwsOptions): Promise<VerifiedJws> {
  const threshold = options.threshold ?? 1;
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`"threshold" expected an integer >= 1, got ${threshold}`);
  if (!Array.isArray(options.algorithms) || options.algorithms.length === 0) {
    throw new TypeError('"algorithms" expected a non-empty list of accepted JWS algorithms');
  }
  for (const alg of options.algorithms) {
    if (!JWS_ALGORITHMS.includes(alg)) {
      throw new TypeError(`"algorithms" contains ${JSON.stringify(alg)}; expected only ${JWS_ALGORITHMS.join(', ')}`);
    }
  }
  const accepted = new Set<string>(options.algorithms);
  const maxBytes = options.maxBytes ?? MAX_ENVELOPE_BYTES;
  const maxSignatures = options.maxSignatures ?? MAX_SIGNATURES;
  const keys = [...options.keys];

  // Snapshot and validate everything before the first await.
  const normalized = normalize(jws, maxBytes);
  if (normalized.signatures.length === 0) throw new InputError('ERR_MALFORMED', 'malformed JWS: signatures: empty');
  if (normalized.signatures.length > maxSignatures) {
    throw new InputError('ERR_LIMIT_EXCEEDED', `JWS has ${normalized.signatures.length} signatures, above the limit of ${maxSignatures}`);
  }
  const payload = decodeSegment(normalized.payload, 'payload');
  const entries = normalized.signatures.map((s, i) => {
    if (typeof s.protected !== 'string') throw new InputError('ERR_MALFORMED', `malformed JWS: signatures[${i}].protected: expected a string`);
    decodeSegment(s.signature, `signatures[${i}].signature`);
    if (s.header !== undefined && !isObject(s.header)) {
      throw new InputError('ERR_MALFORMED', `malformed JWS: signatures[${i}].header: expected an object`);
    }
    const header = parseJson(decodeSegment(s.protected, `signatures[${i}].protected`), `JWS signatures[${i}] protected header`, {
      maxDepth: 8,
    });
    if (!isObject(header)) throw new InputError('ERR_MALFORMED', `malformed JWS: signatures[${i}].protected: expected a JSON object`);
    return {
      flattened: {
        payload: normalized.payload,
        protected: s.protected,
        signature: s.signature as string,
        ...(s.header !== undefined ? { header: { ...(s.header as Record<string, unknown>) } } : {}),
      },
      header,
      unprotected: s.header as Record<string, unknown> | undefined,
    };
  });

  const signedBy = new Set<string>();
  const rejections: Rejection[] = [];
  const details: string[] = [];
  for (const [i, { flattened, header, unprotected }] of entries.entries()) {
    const alg = header.alg;
    // `alg` must be integrity-protected; an unprotected one is an attacker's choice.
    if (typeof alg !== 'string' || !accepted.has(alg)) {
      rejections.push('algorithm');
      details.push(`signatures[${i}]: algorithm ${JSON.stringify(alg ?? unprotected?.alg ?? null)} is not accepted`);
      continue;
    }
    if ('b64' in header) {
      rejections.push('signature');
      details.push(`signatures[${i}]: unencoded payloads (b64) are not accepted`);
      continue;
    }
    if (options.contentType !== undefined && header.cty !== options.contentType) {
      rejections.push('content-type');
      details.push(`signatures[${i}]: cty is ${JSON.stringify(header.cty ?? null)}, expected ${JSON.stringify(options.contentType)}`);
      continue;
    }
    const kid = typeof header.kid === 'string' ? header.kid : typeof unprotected?.kid === 'string' ? unprotected.kid : undefined;
    // Only keys whose type is this algorithm's; the hinted key first.
    const candidates = keys
      .filter((k) => jwsAlgorithmOf(k) === alg && !signedBy.has(k.keyId))
      .sort((a, b) => Number(b.keyId === kid) - Number(a.keyId === kid));
    let failure: string | undefined =
      candidates.length === 0 ? `no trusted ${alg} key left to verify it` : 'does not verify with a trusted key';
    for (const key of candidates) {
      try {
        await flattenedVerify(flattened, key.keyObject, { algorithms: [alg] });
      } catch (err) {
        if (err instanceof joseErrors.JWSSignatureVerificationFailed) continue;
        // Malformed for jose (crit, disjoint headers...): no key can make it count.
        failure = (err as Error).message;
        break;
      }
      signedBy.add(key.keyId);
      failure = undefined;
      break;
    }
    if (failure !== undefined) {
      rejections.push('signature');
      details.push(`signatures[${i}]: ${failure}`);
    }
  }

  if (signedBy.size < threshold) {
    if (signedBy.size === 0 && rejections.length > 0 && rejections.every((r) => r === 'algorithm')) {
      throw new VerificationError('ERR_ALGORITHM_NOT_ALLOWED', `no JWS signature uses an accepted algorithm (${options.algorithms.join(', ')})`, {
        details,
      });
    }
    if (signedBy.size === 0 && rejections.length > 0 && rejections.every((r) => r === 'content-type')) {
      throw new VerificationError('ERR_PAYLOAD_TYPE', `no JWS signature has cty ${JSON.stringify(options.contentType)}`, { details });
    }
    throw thresholdError(signedBy.size, threshold, 'no JWS signature verifies with a trusted key', 'the JWS', details);
  }
  return { payload, signedBy: [...signedBy] };
}
