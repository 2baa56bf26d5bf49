// provenant/sigstore: Sigstore bundles for provenant records and OMS model
// signatures. Keyless signing (Fulcio, Rekor, TSA) and offline verification
// against a pinned trusted root. Named re-exports only.
export { verifySigstoreBundle } from './verify.js';
export type { VerifySigstoreBundleOptions, VerifiedSigstoreBundle, VerifiedTimestamp, VerifiedTlogEntry } from './verify.js';
export { signWithSigstore, PUBLIC_GOOD_URLS } from './sign.js';
export type { SigstoreSignable, SigstoreSigningOptions, KeylessSigningOptions, KeySigningOptions, SigstoreNetworkOptions, SigstoreSignature } from './sign.js';
export { signModelWithSigstore, verifyModelWithSigstore } from './model.js';
export type { SignModelWithSigstoreOptions, SigstoreSignedModel, VerifyModelWithSigstoreOptions, SigstoreVerifiedModel } from './model.js';
export { sigstoreIdentityVerifier } from './identity-verifier.js';
export type {
  SigstoreIdentityVerifier,
  SigstoreIdentityVerifierOptions,
  SigstoreIdentityCheckOptions,
  SigstoreIdentityVerification,
} from './identity-verifier.js';
export type { SigstoreIdentityPolicy, SigstoreIdentity } from './identity.js';
export { parseTrustedRoot, loadTrustedRoot, publicGoodTrustedRoot } from './trusted-root.js';
export type { SigstoreTrustedRoot, ParseTrustedRootOptions, TrustedLog, TrustedAuthority, ValidityPeriod } from './trusted-root.js';
export { SIGSTORE_BUNDLE_MEDIA_TYPES, MAX_BUNDLE_BYTES } from './bundle.js';
export type { SigstoreBundleJson, SigstoreTlogEntryJson } from './bundle.js';
export { sigstorePolicyVerifier } from './policy.js';
export type { SigstorePolicyVerifierOptions } from './policy.js';
