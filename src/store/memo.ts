import type { RecordIdInput, RecordStore, StoredRecord } from './types.js';

/**
 * A read-through cache over a store: each record is read (and checked
 * against its id) once, however many times a verification meets it. Give
 * the same cached store to `verifyChain` and to `createGovernanceVerifier`
 * so that they share the reads. Failed reads are not remembered. The cache
 * lives as long as the returned object; make a new one per verification of
 * a store that changes.
 *
 * @param store the store to read from
 * @returns a store with the same records
 * @example
 * ```ts
 * const cached = memoStore(await openStore('.provenant'));
 * const report = await verifyChain(id, { store: cached, policy, governance: createGovernanceVerifier(cached) });
 * ```
 */
export function memoStore(store: RecordStore): RecordStore {
  const records = new Map<string, Promise<StoredRecord>>();
  return {
    location: store.location,
    writable: false,
    get(id: RecordIdInput): Promise<StoredRecord> {
      const key = String(id);
      let record = records.get(key);
      if (record === undefined) {
        record = store.get(id);
        records.set(key, record);
        record.catch(() => records.delete(key));
      }
      return record;
    },
    has: (id) => store.has(id),
    list: () => store.list(),
  };
}
