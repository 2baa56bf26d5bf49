import { CarWriter } from '@ipld/car/writer';
import type { CID } from 'multiformats/cid';
import { concatBytes } from '../lib/bytes.js';
import { InputError, throwIfAborted } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/fs.js';
import { encodeCarIndex, jsonBlockCid, type CarIndexEntry } from './car-format.js';
import { asRecordId } from './input.js';
import type { RecordIdInput, RecordStore, StoredRecord } from './types.js';

/** Options of {@link exportCar}. */
export interface ExportCarOptions {
  /** Stops the export between records; nothing is written to a path then. */
  signal?: AbortSignal;
}

/** What {@link exportCar} wrote. */
export interface ExportedCar {
  /** The CID of the index block, the CAR's single root. */
  root: CID;
  /** The records exported, sorted by id (duplicates given once). */
  ids: CID[];
  /** The size of the CAR in bytes. */
  size: number;
}

/** Somewhere to write CAR bytes that is not a path (e.g. `process.stdout`). */
export interface ByteSink {
  write(chunk: Uint8Array, callback: (err?: Error | null) => void): unknown;
}

/**
 * Export records as one CAR file (docs/reference/car-format.md): the root is an index
 * block listing each record id with its envelope block's CID; each record
 * contributes its payload block (CID = record id) and its envelope block
 * (the envelope bytes exactly as stored). Records are read through
 * `store.get`, so each is checked against its id first. The same set of
 * records always gives the same bytes.
 *
 * A path is written atomically (temporary file in the same directory, fsync,
 * rename): an existing file is replaced only by a complete CAR. A stream is
 * written to and left open. The CAR is assembled in memory before anything
 * is written, so a failure part-way writes nothing.
 *
 * @param store where the records are
 * @param ids the records to export (a chain); order and repetition do not matter
 * @param out a file path, or a writable stream
 * @param options an AbortSignal
 * @returns the root, the ids and the size written
 * @throws InputError `ERR_RECORD_NOT_FOUND` when a record is not in the store, `ERR_MALFORMED` for a bad id
 * @throws VerificationError `ERR_RECORD_ID_MISMATCH` when a stored record is damaged
 * @throws InputError `ERR_WRITE_FAILED` when the CAR cannot be written
 * @throws AbortError `ERR_ABORTED`
 * @example
 * ```ts
 * const { root } = await exportCar(new DirectoryStore(), [modelId, datasetId], 'chain.car');
 * ```
 */
export async function exportCar(
  store: RecordStore,
  ids: Iterable<RecordIdInput> | AsyncIterable<RecordIdInput>,
  out: string | ByteSink,
  options: ExportCarOptions = {},
): Promise<ExportedCar> {
  if (typeof out !== 'string' && typeof out?.write !== 'function') throw new TypeError('"out" expected a path or a writable stream');
  const wanted = new Map<string, CID>();
  for await (const id of ids) {
    const cid = asRecordId(id);
    wanted.set(cid.toString(), cid);
  }
  const sorted = [...wanted.keys()].sort();
  const records: StoredRecord[] = [];
  const entries: CarIndexEntry[] = [];
  for (const key of sorted) {
    throwIfAborted(options.signal);
    const record = await store.get(wanted.get(key)!);
    records.push(record);
    entries.push({ id: record.id, envelope: jsonBlockCid(record.envelopeBytes) });
  }
  const indexBytes = encodeCarIndex(entries);
  const root = jsonBlockCid(indexBytes);

  const { writer, out: chunks } = CarWriter.create([root]);
  const collected: Uint8Array[] = [];
  const collecting = (async () => {
    for await (const chunk of chunks) collected.push(chunk);
  })();
  // Index first, so a streaming reader meets the root before the records.
  await writer.put({ cid: root, bytes: indexBytes });
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    await writer.put({ cid: record.id, bytes: record.payload });
    await writer.put({ cid: entries[i]!.envelope, bytes: record.envelopeBytes });
  }
  await writer.close();
  await collecting;
  const car = concatBytes(collected);
  throwIfAborted(options.signal);

  if (typeof out === 'string') await writeFileAtomic(out, car);
  else {
    try {
      await new Promise<void>((resolvePromise, reject) => {
        out.write(car, (err) => (err ? reject(err) : resolvePromise()));
      });
    } catch (err) {
      throw new InputError('ERR_WRITE_FAILED', `cannot write the CAR: ${(err as Error).message}`, { cause: err });
    }
  }
  return { root, ids: records.map((r) => r.id), size: car.length };
}
