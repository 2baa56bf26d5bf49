import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  sign as cryptoSign,
  verify as cryptoVerify,
  type JsonWebKey,
} from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { InputError } from '../lib/errors.js';

/** Signature algorithms provenant signs and verifies with. */
export type KeyAlgorithm = 'ed25519' | 'p256' | 'p384' | 'p521';

/** Algorithms `generateKeyPair` and `provenant keygen` offer. */
export const KEYGEN_ALGORITHMS = ['ed25519', 'p256', 'p384'] as const;

/** Each ECDSA curve with its own hash, as OMS, DSSE and Sigstore use them. */
const HASH_OF: Record<KeyAlgorithm, string | null> = {
  ed25519: null,
  p256: 'sha256',
  p384: 'sha384',
  p521: 'sha512',
};

const COORDINATE_BYTES: Record<KeyAlgorithm, number> = { ed25519: 32, p256: 32, p384: 48, p521: 66 };

/** A public key provenant can verify with. */
export interface PublicKey {
  readonly algorithm: KeyAlgorithm;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url). */
  readonly keyId: string;
  readonly keyObject: KeyObject;
  /** The SPKI PEM, as Node encodes it (64-character lines, trailing newline). */
  readonly pem: string;
}

/**
 * Something that signs: a local key, a KMS, an HSM, Sigstore. provenant only
 * needs the public half and a `sign` function.
 *
 * @example
 * ```ts
 * const signer: Signer = { publicKey, sign: async (data) => kms.sign(data) };
 * ```
 */
export interface Signer {
  readonly publicKey: PublicKey;
  /** Sign `data` (ECDSA with the curve's hash, DER-encoded; or Ed25519). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** Input a key can be imported from. */
export type KeyInput = string | Uint8Array | KeyObject | JsonWebKey;

function algorithmOf(key: KeyObject): KeyAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'P-256') return 'p256';
    if (curve === 'secp384r1' || curve === 'P-384') return 'p384';
    if (curve === 'secp521r1' || curve === 'P-521') return 'p521';
    throw new InputError('ERR_KEY_UNSUPPORTED', `unsupported elliptic curve ${curve ?? 'unknown'} (expected P-256, P-384 or P-521)`);
  }
  throw new InputError(
    'ERR_KEY_UNSUPPORTED',
    `unsupported key type ${key.asymmetricKeyType ?? key.type} (expected Ed25519 or ECDSA P-256/P-384)`,
  );
}

function toKeyObject(input: KeyInput, kind: 'public' | 'private'): KeyObject {
  if (input instanceof KeyObject) return input;
  try {
    if (typeof input === 'string' || input instanceof Uint8Array) {
      const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
      const trimmed = text.trim();
      if (trimmed.startsWith('{')) {
        const jwk = JSON.parse(trimmed) as JsonWebKey;
        return kind === 'public' ? createPublicKey({ key: jwk, format: 'jwk' }) : createPrivateKey({ key: jwk, format: 'jwk' });
      }
      // PEM files may carry explanatory text before the armour (openssl -text).
      const begin = text.indexOf('-----BEGIN');
      if (begin === -1) throw new Error('not a PEM or JWK key');
      const pem = text.slice(begin);
      return kind === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
    }
    if (typeof input === 'object' && input !== null && typeof (input as JsonWebKey).kty === 'string') {
      return kind === 'public'
        ? createPublicKey({ key: input as JsonWebKey, format: 'jwk' })
        : createPrivateKey({ key: input as JsonWebKey, format: 'jwk' });
    }
  } catch (err) {
    throw new InputError('ERR_KEY_INVALID', `cannot read the ${kind} key: ${(err as Error).message}`, { cause: err });
  }
  throw new InputError('ERR_KEY_INVALID', `cannot read the ${kind} key: expected PEM, JWK or a KeyObject`);
}

/**
 * Import a public key from SPKI PEM, a JWK, or a `KeyObject` (a private key
 * is accepted and its public half used).
 *
 * @param input PEM text or bytes, JWK object or JSON, or a KeyObject
 * @returns the key with its algorithm and RFC 7638 key id
 * @throws InputError `ERR_KEY_INVALID`, `ERR_KEY_UNSUPPORTED`
 * @example
 * ```ts
 * const key = await importPublicKey(await readFile('key.pub', 'utf8'));
 * ```
 */
export async function importPublicKey(input: KeyInput): Promise<PublicKey> {
  let key = toKeyObject(input, 'public');
  if (key.type === 'private') key = createPublicKey(key);
  if (key.type !== 'public') throw new InputError('ERR_KEY_INVALID', 'expected an asymmetric public key');
  const algorithm = algorithmOf(key);
  const jwk = key.export({ format: 'jwk' });
  const keyId = await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256');
  const pem = key.export({ type: 'spki', format: 'pem' }).toString();
  return { algorithm, keyId, keyObject: key, pem };
}

/**
 * Import a private key (PKCS#8 or SEC1 PEM, JWK, KeyObject) as a {@link Signer}.
 *
 * @param input the private key
 * @returns a signer holding the key
 * @throws InputError `ERR_KEY_INVALID`, `ERR_KEY_UNSUPPORTED`
 * @example
 * ```ts
 * const signer = await importSigner(await readFile('key.pem', 'utf8'));
 * ```
 */
export async function importSigner(input: KeyInput): Promise<Signer> {
  const key = toKeyObject(input, 'private');
  if (key.type !== 'private') throw new InputError('ERR_KEY_INVALID', 'expected a private key (got a public key)');
  const publicKey = await importPublicKey(createPublicKey(key));
  const hash = HASH_OF[publicKey.algorithm];
  return {
    publicKey,
    sign: async (data: Uint8Array) => new Uint8Array(cryptoSign(hash, data, key)),
  };
}

/**
 * Verify a signature with `key`. ECDSA signatures may be DER or raw r||s
 * (IEEE P1363), as DSSE allows both in practice.
 *
 * @returns true only for a valid signature; never throws for a bad one
 */
export function verifySignature(key: PublicKey, data: Uint8Array, signature: Uint8Array): boolean {
  const hash = HASH_OF[key.algorithm];
  try {
    if (key.algorithm === 'ed25519') return cryptoVerify(null, data, key.keyObject, signature);
    if (signature.length === 2 * COORDINATE_BYTES[key.algorithm] && signature[0] !== 0x30) {
      return cryptoVerify(hash, data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (cryptoVerify(hash, data, key.keyObject, signature)) return true;
    if (signature.length === 2 * COORDINATE_BYTES[key.algorithm]) {
      return cryptoVerify(hash, data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, signature);
    }
    return false;
  } catch {
    return false;
  }
}

function verifyOnPool(
  hash: string | null,
  data: Uint8Array,
  key: KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' },
  signature: Uint8Array,
): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      cryptoVerify(hash, data, key, signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}

/**
 * {@link verifySignature} on libuv's thread pool: many signatures checked at
 * once use every core, and the event loop stays free meanwhile.
 *
 * @param key the public key
 * @param data the signed bytes
 * @param signature the signature (ECDSA as DER or raw r||s)
 * @returns true only for a valid signature; never rejects for a bad one
 * @example
 * ```ts
 * const ok = await Promise.all(ballots.map((b) => verifySignatureAsync(key, b.message, b.sig)));
 * ```
 */
export async function verifySignatureAsync(key: PublicKey, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const hash = HASH_OF[key.algorithm];
  if (key.algorithm === 'ed25519') return verifyOnPool(null, data, key.keyObject, signature);
  const raw = signature.length === 2 * COORDINATE_BYTES[key.algorithm];
  if (raw && signature[0] !== 0x30) return verifyOnPool(hash, data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, signature);
  if (await verifyOnPool(hash, data, key.keyObject, signature)) return true;
  return raw ? verifyOnPool(hash, data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, signature) : false;
}

/** A freshly generated key pair, as PEM. */
export interface GeneratedKeyPair {
  algorithm: KeyAlgorithm;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
}

/**
 * Generate a key pair.
 *
 * @param algorithm `ed25519` (default), `p256` or `p384`
 * @returns PKCS#8 and SPKI PEM
 * @throws InputError `ERR_KEY_UNSUPPORTED` for another algorithm
 * @example
 * ```ts
 * const { privateKeyPem, publicKeyPem } = generateKeyPair('p256');
 * ```
 */
export function generateKeyPair(algorithm: KeyAlgorithm = 'ed25519'): GeneratedKeyPair {
  let pair;
  if (algorithm === 'ed25519') pair = generateKeyPairSync('ed25519');
  else if (algorithm === 'p256' || algorithm === 'p384' || algorithm === 'p521') {
    pair = generateKeyPairSync('ec', { namedCurve: { p256: 'P-256', p384: 'P-384', p521: 'P-521' }[algorithm] });
  } else {
    throw new InputError('ERR_KEY_UNSUPPORTED', `unknown key algorithm ${JSON.stringify(algorithm)} (expected ed25519, p256 or p384)`);
  }
  return {
    algorithm,
    privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
