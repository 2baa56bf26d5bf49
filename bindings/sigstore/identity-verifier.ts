import { VerificationError } from 'provenant';
import { parseBundle } from './bundle.js';
import { compileIdentityPolicies, type SigstoreIdentity, type SigstoreIdentityPolicy } from './identity.js';
import type { SigstoreTrustedRoot } from './trusted-root.js';
import { verifySigstoreBundle, type VerifiedSigstoreBundle, type VerifiedTimestamp } from './verify.js';

/** Options of {@link sigstoreIdentityVerifier}. */
export interface SigstoreIdentityVerifierOptions {
  /** The pinned trust material (default: the public-good root shipped with the package). */
  trustedRoot?: SigstoreTrustedRoot;
  /** The identities this role accepts (any one of them). */
  identities: readonly SigstoreIdentityPolicy[];
  /** Transparency-log entries required (default 1). */
  tlogThreshold?: number;
  /** SCTs required (default 1). */
  ctlogThreshold?: number;
  /** Signed times required (default 1). */
  timestampThreshold?: number;
}

/** Options of one {@link SigstoreIdentityVerifier.verify} call. */
export interface SigstoreIdentityCheckOptions {
  /** The exact payload bytes the bundle must sign, e.g. a stored record's (its id is over these bytes). */
  payload?: Uint8Array;
  /** Accept only this payloadType. */
  payloadType?: string;
}

/** What {@link SigstoreIdentityVerifier.verify} reports. */
export interface SigstoreIdentityVerification {
  /** Who the certificate was issued to. */
  identity: SigstoreIdentity;
  /** The policy entry it satisfied. */
  policy: SigstoreIdentityPolicy;
  /** The signed payload bytes and type. */
  payload: Uint8Array;
  payloadType: string;
  /** The earliest verified signed time: when the signature is known to have existed. */
  signedAt: Date;
  timestamps: VerifiedTimestamp[];
  /** The full verification result. */
  bundle: VerifiedSigstoreBundle;
}

/**
 * A trust-policy role backed by Sigstore identities: verifies a Sigstore
 * bundle around a DSSE envelope and reports who signed it. Built once with
 * the trusted root and the accepted identities; `verify` may be called for
 * many bundles.
 */
export interface SigstoreIdentityVerifier {
  /** The identities accepted, as given. */
  readonly identities: readonly SigstoreIdentityPolicy[];
  /**
   * Verify `bundle` offline and match its certificate against the identities.
   *
   * @throws every `VerificationError` of `verifySigstoreBundle`; `ERR_PAYLOAD_TYPE` for a
   *   message-signature bundle; `ERR_KEY_MISMATCH` for a key-based bundle; `ERR_DIGEST_MISMATCH`
   *   when `payload` is given and differs
   */
  verify(bundle: string | Uint8Array | object, options?: SigstoreIdentityCheckOptions): Promise<SigstoreIdentityVerification>;
}

/**
 * Make the verifier a trust policy uses for a role whose members are
 * Sigstore identities (the certificate SAN, exact or an anchored pattern,
 * and the OIDC issuer) instead of keys.
 *
 * @param options trusted root, accepted identities, thresholds
 * @returns a verifier for Sigstore bundles around DSSE envelopes
 * @throws TypeError for an empty or malformed identity list
 * @example
 * ```ts
 * const releasers = sigstoreIdentityVerifier({
 *   trustedRoot: publicGoodTrustedRoot(),
 *   identities: [{ sanPattern: 'https://github\\.com/acme/.+', issuer: 'https://token.actions.githubusercontent.com' }],
 * });
 * const { identity, signedAt } = await releasers.verify(bundleJson, { payload: record.payload });
 * ```
 */
export function sigstoreIdentityVerifier(options: SigstoreIdentityVerifierOptions): SigstoreIdentityVerifier {
  const identities = Object.freeze([...(options?.identities ?? [])]);
  if (identities.length === 0) throw new TypeError('"identities" expected at least one { san | sanPattern, issuer }');
  compileIdentityPolicies(identities); // fail at construction, not at the first bundle
  const { trustedRoot, tlogThreshold, ctlogThreshold, timestampThreshold } = options;
  return {
    identities,
    async verify(bundle, check = {}) {
      const expected = check.payload ? new Uint8Array(check.payload) : undefined;
      const input = bundle instanceof Uint8Array ? new Uint8Array(bundle) : bundle;
      // A role signs records, which are DSSE envelopes: refuse a message signature up front.
      if (!parseBundle(input).dsse) throw new VerificationError('ERR_PAYLOAD_TYPE', 'the bundle carries a message signature, not a DSSE envelope');
      const verified = await verifySigstoreBundle(input, {
        identities,
        ...(trustedRoot ? { trustedRoot } : {}),
        ...(tlogThreshold !== undefined ? { tlogThreshold } : {}),
        ...(ctlogThreshold !== undefined ? { ctlogThreshold } : {}),
        ...(timestampThreshold !== undefined ? { timestampThreshold } : {}),
        ...(check.payloadType !== undefined ? { payloadType: check.payloadType } : {}),
      });
      if (!verified.payload || verified.payloadType === undefined) {
        throw new VerificationError('ERR_PAYLOAD_TYPE', 'the bundle carries a message signature, not a DSSE envelope');
      }
      if (expected && Buffer.compare(Buffer.from(expected), Buffer.from(verified.payload)) !== 0) {
        throw new VerificationError('ERR_DIGEST_MISMATCH', 'the Sigstore bundle signs another payload than the record');
      }
      const times = verified.timestamps.map((t) => t.time.getTime());
      return {
        identity: verified.identity!,
        policy: verified.matchedPolicy!,
        payload: verified.payload,
        payloadType: verified.payloadType,
        signedAt: new Date(Math.min(...times)),
        timestamps: verified.timestamps,
        bundle: verified,
      };
    },
  };
}
