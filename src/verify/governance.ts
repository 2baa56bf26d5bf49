import type { ParameterLimit } from '../outputs/parameters.js';
import type { RecordKind, RecordSource } from '../records/types.js';
import type { ReadRecord } from '../governance/read.js';
import type { TrustPolicy } from './policy.js';

/**
 * The plug-in points of {@link verifyChain}: what a governance verifier (and
 * any other kind-specific verifier, such as output receipts) receives and
 * returns. The chain walk itself knows nothing of electorates, tallies or
 * Merkle proofs; it calls these interfaces and puts what they return in the
 * report, failing closed when one is needed and not supplied.
 */

/** The governance record kinds. Their records are trusted through an electorate, never through a policy key list alone. */
export const GOVERNANCE_KINDS = ['electorate', 'proposal', 'ballot', 'decision'] as const;

/** One of {@link GOVERNANCE_KINDS}. */
export type GovernanceKind = (typeof GOVERNANCE_KINDS)[number];

/**
 * A record the walk read, checked against its id and validated (schema and
 * kind rules), with the result of the policy's signature check. Governance
 * records are usually signed by keys the policy does not list (a ballot by
 * its voter), so a plug-in verifies those signatures itself from `stored`.
 * A `ReadRecord` (as governance reads records) plus what the walk found.
 */
export interface WalkedRecord<K extends RecordKind = RecordKind> extends ReadRecord<K> {
  /**
   * Key ids of the keys of the policy role for this kind that verified;
   * empty when the policy has no rule for the kind or none verified.
   */
  signedBy: readonly string[];
  /** Breadth-first distance from the target (0 for the target). */
  depth: number;
}

/** What a plug-in is told about the verification it takes part in. */
export interface VerifyContext {
  policy: TrustPolicy;
  /** The store the walk reads (a `RecordStore` when the caller passed one: then it can `list()`). */
  store: RecordSource;
  /** The time the chain is verified as of. */
  at: Date;
  /** A record the walk has read, by id string (undefined when it is not in the walk). */
  record(id: string): WalkedRecord | undefined;
}

/**
 * A check a plug-in reports. `record` and `kind` default to the record the
 * plug-in was asked about. Return a failed check only for a problem that
 * must fail the chain; every failed check makes `verified` false.
 */
export interface PluginCheck {
  /** A stable check name (e.g. `tally`, `ballot`, `electorate`, `receipt`). */
  check: string;
  ok: boolean;
  /** A stable failure code (e.g. `ERR_TALLY_MISMATCH`); required when `ok` is false. */
  code?: string;
  message: string;
  record?: string;
  kind?: string;
  details?: readonly string[];
}

/**
 * Verifies the records of some kinds beyond signature and schema (which the
 * walk checks for every record), e.g. an output's Merkle inclusion proof.
 *
 * @example
 * ```ts
 * const receipts: RecordVerifier = { kinds: ['output'], async verifyRecord(r) { return [{ check: 'receipt', ok: true, message: 'inclusion proof holds' }]; } };
 * ```
 */
export interface RecordVerifier {
  /** The kinds this verifier checks; it is called for every walked record of these kinds. */
  readonly kinds: readonly string[];
  /** The checks of one record. Throw only for misuse; a failed check is a returned `ok: false`. */
  verifyRecord(record: WalkedRecord, context: VerifyContext): Promise<readonly PluginCheck[]>;
  /**
   * When the record was made (an output's creation time), if the walk does
   * not know: used for the policy's maximum age and to apply revocations by
   * time to the records it links to.
   */
  timeOf?(record: WalkedRecord): Date | undefined;
}

/** What a governance verifier found about the approval of a record. */
export interface ApprovalResult {
  /** True when a valid decision with outcome `approved` took `action` on the record by `context.at`. */
  approved: boolean;
  /** Ids of the decisions considered (they appear as `approval` links in the report's chain). */
  decisions: readonly string[];
  /** The checks behind the answer (tallies recomputed, ballots, electorate); failed ones fail the chain. */
  checks: readonly PluginCheck[];
}

/** A revocation that applies to a record. */
export interface Revocation {
  /** Id of the `revoke` (or `resolve-dispute`) decision. */
  decision: string;
  /** When it took effect: records that relied on the revoked one at or after this time fail. */
  effectiveAt: Date;
}

/**
 * The one interface through which governance plugs into {@link verifyChain}.
 * The walk calls `verifyRecord` for every electorate, proposal, ballot and
 * decision it meets (signatures by electorate members, the tally recomputed
 * from the ballots, the electorate rotated from `policy.genesis`);
 * `approvalsFor` for every record whose kind rule names an `approval`;
 * `revocationsOf` for every record that is not a governance record; and
 * `parameterLimitsFor` for the model of every `output` record.
 * Without a governance verifier, each of those fails closed with
 * `ERR_GOVERNANCE_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const report = await verifyChain(outputId, { store, policy, governance: myGovernanceVerifier });
 * ```
 */
export interface GovernanceVerifier extends RecordVerifier {
  /**
   * Whether a valid decision approved `action` (the kind rule's `approval`, e.g. `adopt-model`) on `record`.
   * @param record the record needing approval
   * @param action the governance action required
   * @param context the verification
   */
  approvalsFor(record: WalkedRecord, action: string, context: VerifyContext): Promise<ApprovalResult>;
  /**
   * The valid decisions that revoked `record` (whatever their time: the walk compares them with the time the
   * record was relied on).
   * @param record any non-governance record of the chain
   * @param context the verification
   */
  revocationsOf(record: WalkedRecord, context: VerifyContext): Promise<readonly Revocation[]>;
  /**
   * The parameter limits (approved `set-parameter` decisions) in force for outputs of `model` at time `at`;
   * the walk checks each output's parameters against them with `checkParameters`.
   * @param model the model record an output links to
   * @param at the output's time
   * @param context the verification
   */
  parameterLimitsFor(model: WalkedRecord, at: Date, context: VerifyContext): Promise<readonly ParameterLimit[]>;
}
