import type { CID } from 'multiformats/cid';
import { InputError, ProvenantError, VerificationError, type VerificationErrorCode } from '../lib/errors.js';
import type { PublicKey } from '../envelope/keys.js';
import { parseRecordId } from './id.js';
import { openRecord } from './open-record.js';
import type { OpenedRecord, RecordKind, RecordSource } from './types.js';

/** Options of {@link resolveLinks}. */
export interface ResolveLinksOptions<K extends RecordKind> {
  /** Where the linked records are looked up. */
  store: RecordSource;
  /** Keys trusted to have signed the linked records; one valid signature by any of them suffices. */
  keys: readonly PublicKey[];
  /** The kind every linked record must be. */
  kind: K;
  /** What the links are, for messages (e.g. `dataset`, `parent`). */
  role: string;
}

interface Problem {
  code: VerificationErrorCode;
  line: string;
  cause?: unknown;
}

/**
 * Look up and verify linked records: each must exist in the store, carry the
 * id it was looked up by, be signed by at least one trusted key, and be of
 * the expected kind. Every link is checked before failing, and every problem
 * is listed in `details`.
 *
 * @param ids the linked record ids
 * @param options store, trusted keys, expected kind, role name
 * @returns the opened records, in the order of `ids`
 * @throws VerificationError `ERR_LINK_MISSING`, `ERR_LINK_UNVERIFIED`, `ERR_LINK_KIND` (the code of the
 *   first problem; `details` names each one)
 * @throws InputError `ERR_MALFORMED` for an id that is not a record id
 * @example
 * ```ts
 * const datasets = await resolveLinks(ids, { store, keys: [key], kind: 'dataset', role: 'dataset' });
 * ```
 */
export async function resolveLinks<K extends RecordKind>(
  ids: readonly (CID | string)[],
  options: ResolveLinksOptions<K>,
): Promise<OpenedRecord<K>[]> {
  const cids = ids.map((id) => (typeof id === 'string' ? parseRecordId(id) : parseRecordId(id.toString())));
  const problems: Problem[] = [];
  const records: OpenedRecord<K>[] = [];
  for (const id of cids) {
    const what = `${options.role} ${id}`;
    let stored;
    try {
      stored = await options.store.get(id);
    } catch (err) {
      if (!(err instanceof ProvenantError)) throw err;
      // Stores may answer "not found" by throwing rather than with undefined.
      if (err.code === 'ERR_RECORD_NOT_FOUND') {
        problems.push({ code: 'ERR_LINK_MISSING', line: `${what}: not in the store` });
        continue;
      }
      // A store refuses a corrupt or mislabelled record; anything else (I/O) is not about the link.
      if (!(err instanceof VerificationError) && err.code !== 'ERR_MALFORMED' && err.code !== 'ERR_LIMIT_EXCEEDED') throw err;
      problems.push({ code: 'ERR_LINK_UNVERIFIED', line: `${what}: ${err.message}`, cause: err });
      continue;
    }
    if (stored === undefined) {
      problems.push({ code: 'ERR_LINK_MISSING', line: `${what}: not in the store` });
      continue;
    }
    let record;
    try {
      record = openRecord(stored.envelopeBytes, { keys: options.keys, threshold: 1, id });
    } catch (err) {
      if (!(err instanceof ProvenantError)) throw err;
      if (err.code === 'ERR_PREDICATE_TYPE') {
        problems.push({ code: 'ERR_LINK_KIND', line: `${what}: not a ${options.kind} record (${err.message})`, cause: err });
      } else if (err instanceof VerificationError || err instanceof InputError) {
        problems.push({ code: 'ERR_LINK_UNVERIFIED', line: `${what}: does not verify (${err.code}: ${err.message})`, cause: err });
      } else throw err;
      continue;
    }
    if (record.kind !== options.kind) {
      problems.push({ code: 'ERR_LINK_KIND', line: `${what}: is a ${record.kind} record, expected a ${options.kind} record` });
      continue;
    }
    records.push(record as OpenedRecord<K>);
  }
  const first = problems[0];
  if (first) {
    const details = problems.map((p) => p.line);
    throw new VerificationError(
      first.code,
      problems.length === 1 ? `linked ${first.line}` : `${problems.length} linked records are not acceptable:\n  ${details.join('\n  ')}`,
      { details, ...(first.cause !== undefined ? { cause: first.cause } : {}) },
    );
  }
  return records;
}
