/**
 * The threshold-rotation rule provenant's electorates follow, the one TUF
 * applies to root metadata (TUF specification §5.3.4): version N+1 of a
 * signer set is valid only if it is signed by a threshold of version N's
 * principals AND by a threshold of its own. A principal (a member, a TUF key
 * id) counts once however many of its keys signed, a signature that verifies
 * under no key of the set counts for nobody, and a key id on a signature is
 * only a hint.
 *
 * Nothing here is TUF-specific: `tuf.ts` adapts TUF root metadata to it, and
 * electorate records use it directly.
 */
import { verifySignature, type PublicKey } from '../envelope/keys.js';
import { toHex } from '../lib/bytes.js';

/** Someone who may sign: an id and the public keys that speak for them. */
export interface Principal {
  /** Unique within its {@link SignerSet}. */
  id: string;
  /** Keys that speak for this principal; none means it cannot sign. A key belongs to one principal only. */
  keys: readonly PublicKey[];
}

/** A set of principals and how many distinct ones must sign. */
export interface SignerSet {
  principals: readonly Principal[];
  /** Distinct principals needed: an integer from 1 to the number of principals. */
  threshold: number;
}

/** One signature over a message: its bytes and an optional key id (a hint, never trusted). */
export interface RotationSignature {
  /** Hint: a principal id or a key's `keyId`; tried first, but every key of the set is tried. */
  keyid?: string;
  sig: Uint8Array;
}

/** Stable codes of a failed {@link checkRotation}; both are `VerificationErrorCode`s. */
export type RotationCode = 'ERR_ROTATION_OLD_THRESHOLD' | 'ERR_ROTATION_NEW_THRESHOLD';

/** Result of checking one version against its predecessor. */
export interface RotationCheck {
  /** True when every threshold required was met. */
  ok: boolean;
  /** Why not: the previous set's threshold is checked first, as TUF does. */
  code?: RotationCode;
  /** Ids of the distinct principals of the previous set that signed (empty for a genesis). */
  oldSigners: string[];
  /** Ids of the distinct principals of the new set that signed. */
  newSigners: string[];
  /** A readable summary, e.g. "signed by 4 of 5 previous principals (threshold 3) and 4 of 5 new principals (threshold 3)". */
  message: string;
}

/**
 * What makes two keys the same key: the RFC 7638 thumbprint (computed once
 * when the key is imported), which covers exactly the key's public
 * parameters. Cheap, unlike exporting the key for each comparison.
 */
function keyIdentity(key: PublicKey): string {
  return key.keyId;
}

/**
 * Check that `set` is well formed: the threshold is an integer from 1 to the
 * number of principals, principal ids are unique, and no key belongs to two
 * principals (otherwise one key holder could be counted twice). A principal
 * with no keys is allowed: it simply cannot sign (TUF's unknown key types).
 *
 * @param set the signer set to check
 * @param what how to name the set in messages
 * @throws RangeError for an out-of-range threshold, a duplicate principal id, or a key shared by two principals
 * @throws TypeError for a value that is not a signer set
 * @example
 * ```ts
 * assertSignerSet({ principals: [{ id: 'alice', keys: [aliceKey] }], threshold: 1 });
 * ```
 */
export function assertSignerSet(set: SignerSet, what = 'signer set'): void {
  if (typeof set !== 'object' || set === null || !Array.isArray(set.principals)) {
    throw new TypeError(`${what}: expected { principals: Principal[], threshold: number }`);
  }
  const { principals, threshold } = set;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > principals.length) {
    throw new RangeError(
      `${what}: "threshold" expected an integer from 1 to the number of principals (${principals.length}), got ${threshold}`,
    );
  }
  const ids = new Set<string>();
  const owner = new Map<string, string>();
  for (const principal of principals) {
    if (typeof principal?.id !== 'string' || !Array.isArray(principal.keys)) {
      throw new TypeError(`${what}: expected every principal to be { id: string, keys: PublicKey[] }`);
    }
    if (ids.has(principal.id)) throw new RangeError(`${what}: duplicate principal id ${JSON.stringify(principal.id)}`);
    ids.add(principal.id);
    for (const key of principal.keys) {
      const identity = keyIdentity(key);
      const other = owner.get(identity);
      if (other !== undefined && other !== principal.id) {
        throw new RangeError(
          `${what}: principals ${JSON.stringify(other)} and ${JSON.stringify(principal.id)} share a key (${key.keyId}); a key may speak for one principal only`,
        );
      }
      owner.set(identity, principal.id);
    }
  }
}

/** Signing principals without re-validating the set. */
function countSigners(set: SignerSet, message: Uint8Array, signatures: readonly RotationSignature[]): string[] {
  const signed = new Set<string>();
  const tried = new Set<string>();
  for (const signature of signatures) {
    if (signed.size === set.principals.length) break;
    const sig = signature?.sig;
    if (!(sig instanceof Uint8Array) || sig.length === 0) continue;
    // The same signature bytes twice can only count for the principal it already counted for.
    const bytes = toHex(sig);
    if (tried.has(bytes)) continue;
    tried.add(bytes);
    const hint = typeof signature.keyid === 'string' ? signature.keyid : undefined;
    // Hinted principal (or key) first, then every principal not yet counted.
    const rank = (p: Principal): number => (hint === undefined ? 0 : p.id === hint ? 2 : p.keys.some((k) => k.keyId === hint) ? 1 : 0);
    const candidates = set.principals.filter((p) => !signed.has(p.id)).sort((a, b) => rank(b) - rank(a));
    for (const principal of candidates) {
      if (principal.keys.some((key) => verifySignature(key, message, sig))) {
        signed.add(principal.id);
        break;
      }
    }
  }
  return set.principals.filter((p) => signed.has(p.id)).map((p) => p.id);
}

/**
 * The distinct principals whose keys produced a valid signature over
 * `message` among `signatures`. Each principal is counted once however many
 * of its keys (or copies of one signature) there are; a signature that
 * verifies under no key of the set counts for nobody; a key id is only a hint
 * (every key of the set is tried). Never throws for a bad signature.
 *
 * @param set the principals who may sign (its threshold is validated, not applied)
 * @param message the exact signed bytes
 * @param signatures the signatures found on the message
 * @returns the ids of the principals that signed, in the set's order
 * @throws RangeError when the set is not well formed (see {@link assertSignerSet})
 * @example
 * ```ts
 * const who = signingPrincipals({ principals, threshold: 2 }, bytes, [{ sig }]);
 * if (who.length >= 2) accept();
 * ```
 */
export function signingPrincipals(set: SignerSet, message: Uint8Array, signatures: readonly RotationSignature[]): string[] {
  assertSignerSet(set);
  return countSigners(set, message, signatures);
}

function describeCount(kind: string, signers: number, set: SignerSet): string {
  return `${signers} of ${set.principals.length} ${kind} principals (threshold ${set.threshold})`;
}

/**
 * Check version N+1 (`next`) of a signer set against version N (`previous`):
 * `message` (the bytes of version N+1) must be signed by at least
 * `previous.threshold` distinct principals of `previous` AND at least
 * `next.threshold` distinct principals of `next`, as TUF §5.3.4 requires of a
 * new root. With `previous` undefined this is a genesis: only `next`'s own
 * threshold applies. Never throws for a bad signature; bad signatures simply
 * do not count.
 *
 * @param previous the trusted version N, or undefined for a genesis
 * @param next the proposed version N+1
 * @param message the exact bytes version N+1's signatures cover
 * @param signatures the signatures on version N+1
 * @returns the verdict, the signers of each set, and a reason code when it fails
 * @throws RangeError when either set is not well formed (see {@link assertSignerSet})
 * @example
 * ```ts
 * const check = checkRotation(electorateV1, electorateV2, bytesV2, sigsV2);
 * if (!check.ok) throw new VerificationError(check.code!, check.message);
 * ```
 */
export function checkRotation(
  previous: SignerSet | undefined,
  next: SignerSet,
  message: Uint8Array,
  signatures: readonly RotationSignature[],
): RotationCheck {
  if (previous !== undefined) assertSignerSet(previous, 'previous signer set');
  assertSignerSet(next, 'new signer set');
  const oldSigners = previous === undefined ? [] : countSigners(previous, message, signatures);
  const newSigners = countSigners(next, message, signatures);
  const newPart = describeCount('new', newSigners.length, next);
  if (previous === undefined) {
    const ok = newSigners.length >= next.threshold;
    return ok
      ? { ok, oldSigners, newSigners, message: `genesis: signed by ${newPart}` }
      : { ok, code: 'ERR_ROTATION_NEW_THRESHOLD', oldSigners, newSigners, message: `genesis not valid: signed by only ${newPart}` };
  }
  const oldPart = describeCount('previous', oldSigners.length, previous);
  const summary = `signed by ${oldPart} and ${newPart}`;
  if (oldSigners.length < previous.threshold) {
    return { ok: false, code: 'ERR_ROTATION_OLD_THRESHOLD', oldSigners, newSigners, message: `rotation not valid: the previous threshold is not met: ${summary}` };
  }
  if (newSigners.length < next.threshold) {
    return { ok: false, code: 'ERR_ROTATION_NEW_THRESHOLD', oldSigners, newSigners, message: `rotation not valid: the new threshold is not met: ${summary}` };
  }
  return { ok: true, oldSigners, newSigners, message: summary };
}
