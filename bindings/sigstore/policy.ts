import { VerificationError, type PolicyRole, type SigstoreRoleVerifier } from 'provenant';
import { sigstoreIdentityVerifier, type SigstoreIdentityVerifier } from './identity-verifier.js';
import { loadTrustedRoot, publicGoodTrustedRoot, type SigstoreTrustedRoot } from './trusted-root.js';

/** Options of {@link sigstorePolicyVerifier}. */
export interface SigstorePolicyVerifierOptions {
  /** The trusted root of roles that name none (default: the public-good root shipped with the package). */
  trustedRoot?: SigstoreTrustedRoot;
}

/**
 * The Sigstore plug-in of `verifyChain` (and `provenant verify`): checks a
 * record's Sigstore bundle for a trust-policy role that names Sigstore
 * identities, offline, against the role's `trustedRoot` (a file, loaded once)
 * or the default root. The bundle must carry exactly the record's payload and
 * payloadType.
 *
 * @param options the default trusted root
 * @returns the plug-in
 * @throws nothing (a bad trusted root file is an InputError at the first record of its role)
 * @example
 * ```ts
 * const report = await verifyChain(id, {
 *   store, policy, sigstore: sigstorePolicyVerifier(), sigstoreBundles: (id) => store.getBundle(id),
 * });
 * ```
 */
export function sigstorePolicyVerifier(options: SigstorePolicyVerifierOptions = {}): SigstoreRoleVerifier {
  const roots = new Map<string, Promise<SigstoreTrustedRoot>>();
  const verifiers = new Map<PolicyRole, Promise<SigstoreIdentityVerifier>>();
  const rootOf = (path: string | undefined): Promise<SigstoreTrustedRoot> => {
    if (path === undefined) return Promise.resolve(options.trustedRoot ?? publicGoodTrustedRoot());
    let root = roots.get(path);
    if (!root) roots.set(path, (root = loadTrustedRoot(path)));
    return root;
  };
  const verifierOf = (role: PolicyRole): Promise<SigstoreIdentityVerifier> => {
    let verifier = verifiers.get(role);
    if (!verifier) {
      verifier = rootOf(role.trustedRoot).then((trustedRoot) =>
        sigstoreIdentityVerifier({ trustedRoot, identities: (role.sigstore ?? []).map((i) => ({ ...i })) }),
      );
      verifiers.set(role, verifier);
    }
    return verifier;
  };
  return {
    async verifyRole(role, bundle, record) {
      if (!role.sigstore?.length) throw new VerificationError('ERR_IDENTITY_MISMATCH', `the ${role.name} role names no Sigstore identity`);
      const verified = await (await verifierOf(role)).verify(bundle, { payload: record.payload, payloadType: record.payloadType });
      return { signer: `sigstore:${verified.identity.san} (${verified.identity.issuer ?? 'unknown issuer'})` };
    },
  };
}
