import { createPrivateKey, KeyObject, sign as cryptoSign, type JsonWebKey } from 'node:crypto';
import { importSigner, type KeyInput, type Signer } from '../envelope/keys.js';
import { InputError } from '../lib/errors.js';

/** A signer whose key is in this process, so it can also sign synchronously. */
export interface LocalSigner extends Signer {
  /** Sign `data` now (Ed25519, or ECDSA with the curve's hash, DER). */
  signSync(data: Uint8Array): Uint8Array;
}

const HASH_OF = { ed25519: null, p256: 'sha256', p384: 'sha384', p521: 'sha512' } as const;

function privateKeyObject(input: KeyInput): KeyObject {
  if (input instanceof KeyObject) return input;
  try {
    if (typeof input === 'string' || input instanceof Uint8Array) {
      const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
      if (text.trim().startsWith('{')) return createPrivateKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' });
      const begin = text.indexOf('-----BEGIN');
      if (begin === -1) throw new Error('not a PEM or JWK key');
      return createPrivateKey(text.slice(begin));
    }
    return createPrivateKey({ key: input, format: 'jwk' });
  } catch (err) {
    throw new InputError('ERR_KEY_INVALID', `cannot read the private key: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * A signer for a private key held in this process. Single-output signing
 * uses `signSync` so that an output costs one signature and no promise
 * round trip through an async signer.
 *
 * @param input the private key (PEM, JWK or KeyObject)
 * @returns the signer, with `signSync`
 * @throws InputError `ERR_KEY_INVALID`, `ERR_KEY_UNSUPPORTED`
 * @internal
 */
export async function localSigner(input: KeyInput): Promise<LocalSigner> {
  const key = privateKeyObject(input);
  // importSigner checks the key (private, a supported algorithm) and computes its id.
  const { publicKey } = await importSigner(key);
  const hash = HASH_OF[publicKey.algorithm];
  // A Buffer (a Uint8Array), as crypto.sign returns it.
  const signSync = (data: Uint8Array): Uint8Array => cryptoSign(hash, data, key);
  const signer: LocalSigner = { publicKey, signSync, sign: async (data) => signSync(data) };
  made.add(signer);
  return signer;
}

/** The signers localSigner made: they sign at once and keep nothing of what they sign. */
const made = new WeakSet<Signer>();

/** @internal Whether every signer was made by {@link localSigner} (so signs synchronously and retains no input). */
export function allLocal(signers: readonly Signer[]): signers is readonly LocalSigner[] {
  for (const signer of signers) if (!made.has(signer)) return false;
  return true;
}
