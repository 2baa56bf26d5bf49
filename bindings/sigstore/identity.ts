import { VerificationError } from 'provenant';

/**
 * Who may have signed: the certificate's subject alternative name, exactly
 * (`san`) or by an anchored regular expression (`sanPattern`, matched against
 * the whole SAN), and the OIDC issuer Fulcio recorded, exactly.
 *
 * @example
 * ```ts
 * const ci: SigstoreIdentityPolicy = {
 *   sanPattern: 'https://github\\.com/acme/models/\\.github/workflows/release\\.yml@refs/tags/v.*',
 *   issuer: 'https://token.actions.githubusercontent.com',
 * };
 * ```
 */
export interface SigstoreIdentityPolicy {
  /** The SAN, compared exactly (an email address, or a URI for workload identities). */
  san?: string;
  /** A pattern the whole SAN must match: it is anchored (`^(?:...)$`) whatever it says. */
  sanPattern?: string | RegExp;
  /** The OIDC issuer, compared exactly (e.g. `https://accounts.google.com`). */
  issuer: string;
}

/** The identity a verified Sigstore certificate was issued to. */
export interface SigstoreIdentity {
  /** The certificate's subject alternative name (email or URI). */
  san: string;
  /** The OIDC issuer from Fulcio's certificate extension (1.3.6.1.4.1.57264.1.8, or .1.1 in old certificates). */
  issuer: string | undefined;
}

/** A policy compiled once: the anchored pattern built, the arguments checked. */
export interface CompiledIdentityPolicy {
  readonly policy: SigstoreIdentityPolicy;
  matches(identity: SigstoreIdentity): boolean;
  describe(): string;
}

/**
 * Check and compile identity policies.
 *
 * @throws TypeError when a policy has neither or both of `san`/`sanPattern`, or no issuer
 */
export function compileIdentityPolicies(policies: readonly SigstoreIdentityPolicy[]): CompiledIdentityPolicy[] {
  if (!Array.isArray(policies)) throw new TypeError('"identities" expected an array of { san | sanPattern, issuer }');
  return policies.map((policy, i) => {
    const hasSan = typeof policy?.san === 'string';
    const hasPattern = typeof policy?.sanPattern === 'string' || policy?.sanPattern instanceof RegExp;
    if (hasSan === hasPattern) throw new TypeError(`"identities[${i}]" expected exactly one of san or sanPattern`);
    if (typeof policy.issuer !== 'string' || policy.issuer === '') throw new TypeError(`"identities[${i}].issuer" expected the OIDC issuer URL`);
    let pattern: RegExp | undefined;
    if (hasPattern) {
      const source = policy.sanPattern instanceof RegExp ? policy.sanPattern.source : policy.sanPattern!;
      const flags = policy.sanPattern instanceof RegExp ? policy.sanPattern.flags.replace(/[gy]/g, '') : '';
      try {
        pattern = new RegExp(`^(?:${source})$`, flags);
      } catch (err) {
        throw new TypeError(`"identities[${i}].sanPattern" is not a valid regular expression: ${(err as Error).message}`);
      }
    }
    const wanted = hasSan ? JSON.stringify(policy.san) : `/${pattern!.source}/`;
    return {
      policy,
      matches: (identity) =>
        identity.issuer === policy.issuer && (pattern ? pattern.test(identity.san) : identity.san === policy.san),
      describe: () => `${wanted} from ${JSON.stringify(policy.issuer)}`,
    };
  });
}

/**
 * The first policy `identity` satisfies.
 *
 * @throws VerificationError `ERR_IDENTITY_MISMATCH` when none does
 */
export function matchIdentity(identity: SigstoreIdentity, policies: readonly CompiledIdentityPolicy[]): SigstoreIdentityPolicy {
  const match = policies.find((p) => p.matches(identity));
  if (match) return match.policy;
  throw new VerificationError(
    'ERR_IDENTITY_MISMATCH',
    `the certificate was issued to ${JSON.stringify(identity.san)} by ${JSON.stringify(identity.issuer ?? null)}; ` +
      `the policy allows ${policies.map((p) => p.describe()).join(' or ')}`,
  );
}
