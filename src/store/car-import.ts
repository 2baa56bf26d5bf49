import type { CID } from 'multiformats/cid';
import { throwIfAborted } from '../lib/errors.js';
import { CarStore } from './car-store.js';
import type { StoreLimits, WritableRecordStore } from './types.js';

/** Options of {@link importCar}. */
export interface ImportCarOptions {
  /** Envelope, signature-count and index-size limits for the CAR. */
  limits?: StoreLimits;
  /** Stops the import between blocks or records. */
  signal?: AbortSignal;
}

/** What {@link importCar} stored. */
export interface ImportedCar {
  /** The CID of the CAR's index block. */
  root: CID;
  /** The records imported, in index order (sorted by id). */
  ids: CID[];
}

/**
 * Import a provenant CAR (docs/reference/car-format.md) into a writable store. The
 * whole CAR is checked before the first record is written: its structure
 * (see {@link CarStore.open}), every block against its CID, and every
 * envelope's payload against its record id. A CAR that fails any check
 * imports nothing. Each envelope is then put with its bytes exactly as in
 * the CAR (records already stored are left as they are, or gain the CAR's
 * extra signatures).
 *
 * @param source the path of a `.car` file, or CAR bytes
 * @param store where to put the records
 * @param options limits and an AbortSignal
 * @returns the root and the ids imported
 * @throws InputError `ERR_NOT_FOUND`, `ERR_UNREADABLE`, `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED` for a CAR that cannot be read
 * @throws VerificationError `ERR_BLOCK_MISMATCH` when a block does not hash to its CID
 * @throws VerificationError `ERR_RECORD_ID_MISMATCH` when an envelope carries another record's payload
 * @throws InputError `ERR_WRITE_FAILED`, `ERR_RECORD_CONFLICT` from the store
 * @throws AbortError `ERR_ABORTED`
 * @example
 * ```ts
 * const { ids } = await importCar('chain.car', new DirectoryStore());
 * ```
 */
export async function importCar(source: string | Uint8Array, store: WritableRecordStore, options: ImportCarOptions = {}): Promise<ImportedCar> {
  if (typeof store?.put !== 'function' || store.writable !== true) {
    throw new TypeError('"store" expected a writable record store');
  }
  const car = await CarStore.open(source, options.limits ? { limits: options.limits } : {});
  await car.verify(options.signal ? { signal: options.signal } : {});
  const ids: CID[] = [];
  for await (const id of car.list()) {
    throwIfAborted(options.signal);
    const record = await car.get(id);
    await store.put(record.envelopeBytes);
    ids.push(record.id);
  }
  return { root: car.root, ids };
}
