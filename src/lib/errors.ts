/**
 * provenant's error model: one base class with a stable `code` and an optional
 * `cause`, one subclass per failure family. Each family maps to one CLI exit
 * code, so callers can `switch (err.code)` and the CLI can map
 * `err.exitCode` without reading message text.
 *
 * Programmer mistakes (wrong argument types) stay plain `TypeError` /
 * `RangeError`.
 */

/** Codes for bad usage or input that cannot be read or understood (exit 2). */
export type InputErrorCode =
  | 'ERR_USAGE'
  | 'ERR_NOT_FOUND'
  | 'ERR_NOT_A_FILE'
  | 'ERR_NOT_A_DIRECTORY'
  | 'ERR_UNREADABLE'
  | 'ERR_MALFORMED'
  | 'ERR_LIMIT_EXCEEDED'
  | 'ERR_PATH_ESCAPE'
  | 'ERR_SYMLINK_REFUSED'
  | 'ERR_UNSUPPORTED_FILE_TYPE'
  | 'ERR_FILE_CHANGED'
  | 'ERR_KEY_INVALID'
  | 'ERR_KEY_UNSUPPORTED'
  | 'ERR_UNSUPPORTED_FORMAT'
  | 'ERR_ASSET_MALFORMED'
  | 'ERR_CERT_PROFILE'
  | 'ERR_CERT_KEY_MISMATCH'
  | 'ERR_RESERVE_SIZE'
  | 'ERR_C2PA_UNREADABLE'
  | 'ERR_C2PA_ENGINE'
  | 'ERR_TSA_FAILED'
  | 'ERR_WRITE_FAILED'
  | 'ERR_RECORD_NOT_FOUND'
  | 'ERR_RECORD_CONFLICT'
  | 'ERR_READ_ONLY'
  | 'ERR_NOT_MEMBER'
  | 'ERR_PROPOSER_NOT_ALLOWED'
  | 'ERR_WINDOW_CLOSED'
  | 'ERR_WINDOW_OPEN'
  | 'ERR_CLOSED'
  | 'ERR_POLICY_INVALID'
  | 'ERR_TRUSTED_ROOT_INVALID'
  | 'ERR_OIDC_TOKEN'
  | 'ERR_SIGSTORE_SERVICE';

/** Codes for a verification that ran and did not hold (exit 1). */
export type VerificationErrorCode =
  | 'ERR_SIGNATURE_INVALID'
  | 'ERR_THRESHOLD_NOT_MET'
  | 'ERR_ROTATION_OLD_THRESHOLD'
  | 'ERR_ROTATION_NEW_THRESHOLD'
  | 'ERR_ROTATION_VERSION'
  | 'ERR_ELECTORATE_UNTRUSTED'
  | 'ERR_ELECTORATE_VERSION'
  | 'ERR_PROPOSAL_FORGED'
  | 'ERR_PROPOSER_NOT_ALLOWED'
  | 'ERR_PROPOSAL_RULES'
  | 'ERR_BALLOT_FORGED'
  | 'ERR_BALLOT_NOT_MEMBER'
  | 'ERR_BALLOT_OUTSIDE_WINDOW'
  | 'ERR_BALLOT_WRONG_PROPOSAL'
  | 'ERR_BALLOT_DUPLICATE'
  | 'ERR_BALLOT_SUPERSEDED'
  | 'ERR_BALLOT_OMITTED'
  | 'ERR_BALLOT_INVALID_CHOICE'
  | 'ERR_DECISION_MISMATCH'
  | 'ERR_DECISION_EARLY'
  | 'ERR_TALLY_MISMATCH'
  | 'ERR_OUTCOME_MISMATCH'
  | 'ERR_QUORUM_NOT_MET'
  | 'ERR_APPROVAL_THRESHOLD_NOT_MET'
  | 'ERR_NOT_PREFERRED'
  | 'ERR_ALGORITHM_NOT_ALLOWED'
  | 'ERR_KEY_MISMATCH'
  | 'ERR_UNKNOWN_MEDIA_TYPE'
  | 'ERR_PAYLOAD_TYPE'
  | 'ERR_STATEMENT_INVALID'
  | 'ERR_PREDICATE_TYPE'
  | 'ERR_SCHEMA'
  | 'ERR_LINK_MISSING'
  | 'ERR_LINK_UNVERIFIED'
  | 'ERR_LINK_KIND'
  | 'ERR_ROOT_DIGEST_MISMATCH'
  | 'ERR_MODEL_MISMATCH'
  | 'ERR_DIGEST_MISMATCH'
  | 'ERR_PROOF_INVALID'
  | 'ERR_PARAMETER_LIMIT'
  | 'ERR_WRONG_MODEL'
  | 'ERR_RECORD_ID_MISMATCH'
  | 'ERR_BLOCK_MISMATCH'
  | 'ERR_KIND_NOT_TRUSTED'
  | 'ERR_LINK_CYCLE'
  | 'ERR_TARGET_NOT_FOUND'
  | 'ERR_APPROVAL_MISSING'
  | 'ERR_GOVERNANCE_UNAVAILABLE'
  | 'ERR_REVOKED'
  | 'ERR_RECORD_TOO_OLD'
  | 'ERR_RECORD_IN_FUTURE'
  | 'ERR_TRUSTED_ROOT_EXPIRED'
  | 'ERR_CERTIFICATE_INVALID'
  | 'ERR_CERTIFICATE_EXPIRED'
  | 'ERR_IDENTITY_MISMATCH'
  | 'ERR_SIGSTORE_BUNDLE_MISSING'
  | 'ERR_SIGSTORE_UNAVAILABLE'
  | 'ERR_TIMESTAMP_INVALID'
  | 'ERR_TIMESTAMP_MISSING'
  | 'ERR_TLOG_INVALID'
  | 'ERR_TLOG_MISSING'
  | 'ERR_TLOG_PROOF_INVALID';

/** Code for an operation stopped by its AbortSignal. */
export type AbortErrorCode = 'ERR_ABORTED';

/** Every stable error code provenant throws. */
export type ErrorCode = InputErrorCode | VerificationErrorCode | AbortErrorCode;

/** The exit codes of the CLI. */
export const ExitCode = {
  /** Success, or verified. */
  OK: 0,
  /** Verification ran and failed. */
  VERIFICATION_FAILED: 1,
  /** Bad usage or unreadable input. */
  USAGE: 2,
} as const;

/**
 * Base class of every error provenant throws on purpose.
 *
 * @example
 * ```ts
 * try { await verifyModel(dir, { key }) }
 * catch (err) { if (err instanceof ProvenantError) console.error(err.code) }
 * ```
 */
export abstract class ProvenantError<C extends ErrorCode = ErrorCode> extends Error {
  /** Stable, documented code; match on this, never on the message. */
  readonly code: C;
  /** The CLI exit code this failure maps to. */
  abstract readonly exitCode: 0 | 1 | 2;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad usage, or input that cannot be read or understood. Exit code 2. */
export class InputError extends ProvenantError<InputErrorCode> {
  readonly exitCode = ExitCode.USAGE;
}

/** A verification ran and did not hold. Exit code 1. */
export class VerificationError extends ProvenantError<VerificationErrorCode> {
  readonly exitCode = ExitCode.VERIFICATION_FAILED;
  /** Per-item detail, e.g. every file that is missing, extra or different. */
  readonly details: readonly string[];

  constructor(
    code: VerificationErrorCode,
    message: string,
    options?: { cause?: unknown; details?: readonly string[] },
  ) {
    super(code, message, options);
    this.details = options?.details ?? [];
  }
}

/** A long operation was stopped by its AbortSignal. Exit code 2. */
export class AbortError extends ProvenantError<AbortErrorCode> {
  readonly exitCode = ExitCode.USAGE;

  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('ERR_ABORTED', message, options);
  }
}

/** Throw an {@link AbortError} if `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

/**
 * Turn a Node.js file-system error into an {@link InputError} with a stable
 * code, naming the path involved.
 */
export function fsError(err: unknown, path: string, action: string): InputError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new InputError('ERR_NOT_FOUND', `${path}: no such file or directory`, { cause: err });
  if (code === 'EISDIR') return new InputError('ERR_NOT_A_FILE', `${path}: is a directory, expected a file`, { cause: err });
  if (code === 'ENOTDIR') return new InputError('ERR_NOT_A_DIRECTORY', `${path}: not a directory`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new InputError('ERR_UNREADABLE', `${path}: permission denied (${action})`, { cause: err });
  return new InputError('ERR_UNREADABLE', `${path}: cannot ${action}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
