import { VerificationError } from '../lib/errors.js';

/**
 * The error for a signature set that did not reach its threshold, shared by
 * the DSSE and JWS verifiers so both report it the same way: no valid
 * signature at all with a threshold of 1 is `ERR_SIGNATURE_INVALID`, anything
 * else `ERR_THRESHOLD_NOT_MET`.
 *
 * @param signed how many distinct trusted keys signed
 * @param threshold how many were required
 * @param none the message when no trusted key signed
 * @param some the object of the "N of the required T trusted keys signed ..." message
 * @param details per-signature detail, when the verifier has it
 */
export function thresholdError(
  signed: number,
  threshold: number,
  none: string,
  some: string,
  details?: readonly string[],
): VerificationError {
  const code = signed === 0 && threshold === 1 ? 'ERR_SIGNATURE_INVALID' : 'ERR_THRESHOLD_NOT_MET';
  return new VerificationError(
    code,
    code === 'ERR_SIGNATURE_INVALID' ? none : `${signed} of the required ${threshold} trusted keys signed ${some}`,
    details ? { details } : undefined,
  );
}
