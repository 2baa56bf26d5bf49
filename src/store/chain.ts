import type { CID } from 'multiformats/cid';
import { InputError } from '../lib/errors.js';
import { parseJson } from '../lib/json.js';
import { recordLinks, validateStatement } from '../records/statement.js';
import type { RecordIdInput, RecordStore } from './types.js';

/** Most records {@link collectChain} follows before it stops with an error. */
export const MAX_CHAIN_RECORDS = 100_000;

/**
 * The records reachable from `roots` by following links (a model's weights,
 * datasets, parents and approvals, ...), each once, roots first. Cycles are
 * harmless here (each record is visited once); the verifier rejects them.
 * Statements are validated so only real links are followed; signatures are
 * not checked (that is the verifier's job).
 *
 * @param store where the records are
 * @param roots the records to start from
 * @returns the ids, in breadth-first order
 * @throws InputError `ERR_RECORD_NOT_FOUND` for a dangling link, `ERR_LIMIT_EXCEEDED`
 * @throws VerificationError when a stored record does not match its id or is not a valid statement
 * @example
 * ```ts
 * await exportCar(store, await collectChain(store, [modelId]), 'chain.car');
 * ```
 */
export async function collectChain(store: RecordStore, roots: readonly RecordIdInput[]): Promise<CID[]> {
  const seen = new Set<string>();
  const out: CID[] = [];
  const queue: RecordIdInput[] = [...roots];
  while (queue.length) {
    const next = queue.shift()!;
    const record = await store.get(next);
    const key = record.id.toString();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(record.id);
    if (out.length > MAX_CHAIN_RECORDS) {
      throw new InputError('ERR_LIMIT_EXCEEDED', `the chain has more than ${MAX_CHAIN_RECORDS} records`);
    }
    const links = recordLinks(validateStatement(parseJson(record.payload, `record ${key}`)));
    for (const link of links) if (!seen.has(link)) queue.push(link);
  }
  return out;
}
