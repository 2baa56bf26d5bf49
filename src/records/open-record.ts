import type { CID } from 'multiformats/cid';
import { InputError, VerificationError } from '../lib/errors.js';
import { parseJson } from '../lib/json.js';
import type { PublicKey } from '../envelope/keys.js';
import { parseEnvelope } from '../envelope/parse.js';
import type { Envelope, ParsedEnvelope } from '../envelope/types.js';
import { verifyEnvelope } from '../envelope/verify.js';
import { parseRecordId, recordId } from './id.js';
import { IN_TOTO_PAYLOAD_TYPE } from './oms/bundle.js';
import { validateStatement } from './statement.js';
import type { AnyOpenedRecord, RecordKind } from './types.js';

/** Options of {@link openRecord}. */
export interface OpenRecordOptions<K extends RecordKind = RecordKind> {
  /** The keys trusted to sign. Nothing else counts. */
  keys: readonly PublicKey[];
  /** How many distinct trusted keys must have signed (default 1). */
  threshold?: number;
  /** Accept only these kinds (default: every kind provenant knows). */
  kinds?: readonly K[];
  /** The id the record must have (e.g. the id it was looked up by). */
  id?: CID | string;
  /** Largest envelope accepted, in bytes (default 16 MiB). */
  maxEnvelopeBytes?: number;
  /** Most signatures accepted (default 32). */
  maxSignatures?: number;
  /** Most subjects accepted (default 1024). */
  maxSubjects?: number;
  /** Deepest JSON nesting accepted in the payload (default 64). */
  maxDepth?: number;
}

function isParsedEnvelope(input: unknown): input is ParsedEnvelope {
  return typeof input === 'object' && input !== null && (input as ParsedEnvelope).payload instanceof Uint8Array;
}

/**
 * Open a record: parse its DSSE envelope (with limits), verify the
 * signatures against the trusted keys and threshold, parse the exact signed
 * payload bytes (duplicate and `__proto__` keys refused; nothing is
 * re-serialized), and validate the statement as a record of a known kind.
 * Layered as sigstore-js does: parse, verify, then validate.
 *
 * @param input the envelope as bytes or text, as an object, or as `parseEnvelope` returned it
 * @param options trusted keys, threshold, accepted kinds, expected id, limits
 * @returns the record, typed by kind (`switch (record.kind)` narrows `predicate`)
 * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED` (envelope size, signatures, subjects, depth)
 * @throws VerificationError `ERR_RECORD_ID_MISMATCH`, `ERR_PAYLOAD_TYPE`, `ERR_SIGNATURE_INVALID`,
 *   `ERR_THRESHOLD_NOT_MET`, `ERR_STATEMENT_INVALID`, `ERR_PREDICATE_TYPE`, `ERR_SCHEMA`, `ERR_ROOT_DIGEST_MISMATCH`
 * @throws RangeError for a threshold below 1
 * @example
 * ```ts
 * const record = openRecord(await readFile(path), { keys: [key], kinds: ['dataset'] });
 * console.log(record.id.toString(), record.predicate.name);
 * ```
 */
export function openRecord<K extends RecordKind = RecordKind>(
  input: Uint8Array | string | Envelope | ParsedEnvelope,
  options: OpenRecordOptions<K>,
): AnyOpenedRecord<K> {
  const limits = {
    ...(options.maxEnvelopeBytes !== undefined ? { maxBytes: options.maxEnvelopeBytes } : {}),
    ...(options.maxSignatures !== undefined ? { maxSignatures: options.maxSignatures } : {}),
  };
  // A ParsedEnvelope from elsewhere is parsed again from its JSON form, so the limits apply to it too.
  const parsed = parseEnvelope(isParsedEnvelope(input) ? input.envelope : input, limits);
  const id = recordId(parsed.payload);
  if (options.id !== undefined) {
    const expected = typeof options.id === 'string' ? parseRecordId(options.id) : options.id;
    if (!id.equals(expected)) {
      throw new VerificationError('ERR_RECORD_ID_MISMATCH', `the record's payload has id ${id}, not the expected ${expected}`);
    }
  }
  const verified = verifyEnvelope(parsed, {
    keys: options.keys,
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
    payloadType: IN_TOTO_PAYLOAD_TYPE,
  });
  let value;
  try {
    value = parseJson(verified.payload, 'record statement', options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {});
  } catch (err) {
    if (err instanceof InputError && err.code === 'ERR_LIMIT_EXCEEDED') throw err;
    throw new VerificationError('ERR_STATEMENT_INVALID', `the signed payload is not acceptable JSON: ${(err as Error).message}`, { cause: err });
  }
  const validated = validateStatement(value, {
    ...(options.kinds !== undefined ? { kinds: options.kinds } : {}),
    ...(options.maxSubjects !== undefined ? { maxSubjects: options.maxSubjects } : {}),
  });
  return {
    id,
    kind: validated.kind,
    statement: validated.statement,
    predicate: validated.predicate,
    signedBy: verified.signedBy,
    payload: verified.payload,
    envelope: parsed.envelope,
  } as AnyOpenedRecord<K>;
}

