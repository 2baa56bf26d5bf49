import type { CID } from 'multiformats/cid';
import { InputError, ProvenantError, VerificationError, type VerificationErrorCode } from '../lib/errors.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../records/oms/bundle.js';
import { validatePayload } from '../records/statement.js';
import type { PredicateMap, RecordKind, StatementOf } from '../records/types.js';
import type { RecordIdInput, RecordStore, StoredRecord } from '../store/types.js';

/**
 * A record read from a store and validated (schema, kind rules) but whose
 * signatures are not yet checked: governance records are trusted through the
 * electorate (a ballot through its voter's keys, an electorate through the
 * previous version), so the keys are known only once the record is read.
 */
export interface ReadRecord<K extends RecordKind = RecordKind> {
  id: CID;
  /** `id.toString()`. */
  idString: string;
  kind: K;
  statement: StatementOf<K>;
  predicate: PredicateMap[K];
  /** The stored envelope (parsed signatures, exact payload). */
  stored: StoredRecord;
}

/** A read record of one of the kinds `K`, discriminated by `kind` so a `switch` narrows `predicate`. */
export type AnyReadRecord<K extends RecordKind = RecordKind> = { [Kind in K]: ReadRecord<Kind> }[K];

/** A governance problem: a stable code, the record it is about, and a readable message. */
export interface GovernanceProblem {
  code: VerificationErrorCode;
  record: string;
  message: string;
}

/**
 * Read record `id` from `source` and validate it as one of `kinds`.
 *
 * @param source the store
 * @param id the record id
 * @param kinds the kinds accepted
 * @returns the record, signatures unchecked
 * @throws VerificationError `ERR_LINK_MISSING` when the store has no such record, `ERR_PAYLOAD_TYPE`,
 *   `ERR_PREDICATE_TYPE` (another kind), `ERR_SCHEMA`, `ERR_STATEMENT_INVALID`, `ERR_RECORD_ID_MISMATCH`
 * @example
 * ```ts
 * const ballot = await readRecord(store, id, ['ballot']);
 * ```
 */
export async function readRecord<K extends RecordKind>(source: RecordStore, id: RecordIdInput, kinds: readonly K[]): Promise<AnyReadRecord<K>> {
  let stored: StoredRecord;
  try {
    stored = await source.get(id);
  } catch (err) {
    if (err instanceof InputError && err.code === 'ERR_RECORD_NOT_FOUND') {
      throw new VerificationError('ERR_LINK_MISSING', `record ${String(id)} is not in the store ${source.location}`, { cause: err });
    }
    throw err;
  }
  return readStored(stored, kinds);
}

/**
 * Validate a stored record as one of `kinds` (signatures unchecked).
 *
 * @param stored the record as the store returned it
 * @param kinds the kinds accepted
 * @returns the record
 * @throws VerificationError as {@link readRecord}
 * @example
 * ```ts
 * const record = readStored(await store.get(id), ['proposal']);
 * ```
 */
export function readStored<K extends RecordKind>(stored: StoredRecord, kinds: readonly K[]): AnyReadRecord<K> {
  if (stored.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new VerificationError('ERR_PAYLOAD_TYPE', `record ${stored.id}: payloadType is ${JSON.stringify(stored.payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  let validated;
  try {
    validated = validatePayload(stored.payload);
  } catch (err) {
    if (err instanceof VerificationError) throw err;
    throw new VerificationError('ERR_STATEMENT_INVALID', `record ${stored.id}: the payload is not acceptable JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!(kinds as readonly RecordKind[]).includes(validated.kind)) {
    throw new VerificationError('ERR_PREDICATE_TYPE', `record ${stored.id} is a ${validated.kind} record; expected ${kinds.join(', ')}`);
  }
  return {
    id: stored.id,
    idString: stored.id.toString(),
    kind: validated.kind,
    statement: validated.statement,
    predicate: validated.predicate,
    stored,
  } as AnyReadRecord<K>;
}

/**
 * Turn a thrown provenant verification failure into a problem (anything else is rethrown).
 *
 * @param err what was thrown
 * @param record the record it is about
 * @returns the problem
 * @throws err itself when it is not a VerificationError
 * @example
 * ```ts
 * try { await readRecord(store, id, ['ballot']) } catch (err) { problems.push(asProblem(err, id)) }
 * ```
 */
export function asProblem(err: unknown, record: string): GovernanceProblem {
  if (err instanceof VerificationError) return { code: err.code, record, message: err.message };
  if (err instanceof ProvenantError && err.code === 'ERR_LIMIT_EXCEEDED') {
    return { code: 'ERR_STATEMENT_INVALID', record, message: err.message };
  }
  throw err;
}

/**
 * Milliseconds since the epoch of an RFC 3339 time (already schema-checked).
 *
 * @param text the time
 * @returns milliseconds
 * @throws InputError `ERR_MALFORMED` when it does not parse
 * @example
 * ```ts
 * timeOf('2026-01-01T00:00:00Z') // 1767225600000
 * ```
 */
export function timeOf(text: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new InputError('ERR_MALFORMED', `${JSON.stringify(text)} is not an RFC 3339 time`);
  return ms;
}

/**
 * Parse a time given by a user: an RFC 3339 time, a `Date`, or epoch milliseconds.
 *
 * @param value the time
 * @param what the option's name, for messages
 * @returns the Date
 * @throws InputError `ERR_USAGE` for anything else
 * @example
 * ```ts
 * toDate('2026-01-01T00:00:00Z', '--at')
 * ```
 */
export function toDate(value: Date | string | number, what: string): Date {
  const date = value instanceof Date ? value : new Date(typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}T/.test(value) ? NaN : value);
  if (!Number.isFinite(date.getTime())) {
    throw new InputError('ERR_USAGE', `${what}: expected an RFC 3339 time such as 2026-01-31T12:00:00Z, got ${JSON.stringify(String(value))}`);
  }
  return date;
}

/**
 * The RFC 3339 form provenant writes: UTC with milliseconds.
 *
 * @param date the time
 * @returns e.g. `2026-01-31T12:00:00.000Z`
 * @example
 * ```ts
 * formatTime(new Date(0)) // '1970-01-01T00:00:00.000Z'
 * ```
 */
export function formatTime(date: Date): string {
  return date.toISOString();
}
