/**
 * Who signs a C2PA claim: a certificate chain with the C2PA profile, and a
 * key (or an external `Signer`) that is the leaf certificate's key.
 *
 * @internal
 */
import { X509Certificate } from 'node:crypto';
import { importSigner, InputError, type KeyInput, type Signer } from 'provenant';
import { certifiesKey, checkSigningChain, parseCertificates } from './certificate.js';
import { COSE_ALGORITHMS, signCose } from './cose.js';
import type { PemInput } from './settings.js';
import { countersignatureMessage, requestTimestamp } from './timestamp.js';

/** The signing identity options shared by `signImage` and `signText`. */
export interface SigningOptions {
  /** The signing certificate chain, leaf first: PEM (text or bytes) or parsed certificates. A self-signed root at the end is left out. */
  certificateChain: PemInput | readonly X509Certificate[];
  /** The leaf certificate's private key (PEM, JWK or KeyObject). Give this or `signer`. */
  key?: KeyInput;
  /** An external signer (KMS, HSM) holding the leaf certificate's key. Give this or `key`. */
  signer?: Signer;
  /** An RFC 3161 time-stamp authority to counter-sign the claim signature (`sigTst2`), so the credential outlives the certificate. */
  timestampUrl?: string;
  /** Bytes reserved for the claim signature (default: what the chain and signature need, plus room for a time-stamp when asked). */
  reserveSize?: number;
  /** The signing time, for the certificate validity check (default now). */
  now?: Date;
}

/** A resolved signing identity. */
export interface SigningIdentity {
  signer: Signer;
  /** DER certificates to embed, leaf first. */
  chain: Uint8Array[];
  /** The engine's name of the algorithm (`es256`, `es384`, `es512`, `ed25519`). */
  alg: string;
  reserveSize: number;
  timestampUrl: string | undefined;
}

/** Room for an RFC 3161 token with its TSA chain. */
const TIMESTAMP_ROOM = 12 * 1024;

/**
 * Check the chain against the C2PA profile and the key against the chain.
 *
 * @throws InputError `ERR_CERT_PROFILE`, `ERR_CERT_KEY_MISMATCH`, `ERR_KEY_INVALID`, `ERR_KEY_UNSUPPORTED`, `ERR_MALFORMED` (chain PEM)
 * @throws TypeError when both or neither of `key` and `signer` are given
 */
export async function signingIdentity(options: SigningOptions): Promise<SigningIdentity> {
  if ((options.key === undefined) === (options.signer === undefined)) throw new TypeError('give exactly one of "key" and "signer"');
  const input = options.certificateChain;
  const certs =
    Array.isArray(input) && input.every((c) => c instanceof X509Certificate)
      ? (input as X509Certificate[])
      : parseCertificates(input as PemInput);
  const chain = checkSigningChain(certs, options.now ?? new Date());
  const signer = options.signer ?? (await importSigner(options.key!));
  if (!certifiesKey(chain[0]!, signer.publicKey.keyObject)) {
    throw new InputError('ERR_CERT_KEY_MISMATCH', `the ${options.signer ? 'signer' : 'private key'} is not the key of the signing certificate (${chain[0]!.subject.replace(/\n/g, ', ')})`);
  }
  const der = chain.map((c) => new Uint8Array(c.raw));
  const needed = der.reduce((n, c) => n + c.length + 4, 0) + 2 * 66 + 160;
  const reserveSize = options.reserveSize ?? needed + (options.timestampUrl ? TIMESTAMP_ROOM : 0);
  if (!Number.isSafeInteger(reserveSize) || reserveSize < 1) throw new RangeError(`"reserveSize" expected a positive integer, got ${reserveSize}`);
  return { signer, chain: der, alg: COSE_ALGORITHMS[signer.publicKey.algorithm].name, reserveSize, timestampUrl: options.timestampUrl };
}

/**
 * The engine's sign callback for an identity: a complete COSE_Sign1 of
 * exactly `reserveSize` bytes. The engine swallows a callback's exception
 * into its own error text, so the first failure is kept in `failure` for
 * the caller to rethrow as is.
 */
export function coseCallback(identity: SigningIdentity): { sign: (claim: Uint8Array) => Promise<Uint8Array>; failure: () => unknown } {
  let failure: unknown;
  return {
    failure: () => failure,
    sign: async (claim: Uint8Array) => {
      try {
        return await signCose({
          payload: claim,
          signer: identity.signer,
          chain: identity.chain,
          reserveSize: identity.reserveSize,
          ...(identity.timestampUrl
            ? { timestamp: (signature: Uint8Array, protectedBytes: Uint8Array) => requestTimestamp(identity.timestampUrl!, countersignatureMessage(protectedBytes, signature)) }
            : {}),
        });
      } catch (err) {
        failure ??= err;
        throw err;
      }
    },
  };
}
