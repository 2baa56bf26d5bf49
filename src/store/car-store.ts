import { createReadStream, type ReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CarIndexer } from '@ipld/car/indexer';
import { varint } from 'multiformats';
import type { CID } from 'multiformats/cid';
import { MAX_ENVELOPE_BYTES, MAX_SIGNATURES } from '../envelope/types.js';
import { InputError, ProvenantError, fsError, throwIfAborted } from '../lib/errors.js';
import { MAX_CAR_INDEX_BYTES, assertJsonBlockCid, checkBlock, parseCarIndex, type CarIndexEntry } from './car-format.js';
import { decodeStoredRecord } from './decode.js';
import { asRecordId } from './input.js';
import type { RecordIdInput, RecordStore, StoreLimits, StoredRecord } from './types.js';

/** Options of {@link CarStore.open}. */
export interface CarStoreOptions {
  /** Envelope, signature-count and index-size limits. */
  limits?: StoreLimits;
}

/** Where one block's bytes are in the CAR. */
interface BlockLocation {
  cid: CID;
  offset: number;
  length: number;
}

/** Reads byte ranges of the CAR (a file, or bytes in memory). */
interface RangeReader {
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

// A provenant CAR header is a version and one root (about 60 bytes); a
// header announced as larger than this is refused before it is buffered.
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * A provenant CAR file (docs/reference/car-format.md) opened as a read-only
 * {@link RecordStore}. Opening reads the CAR's structure (not its block
 * contents) and checks it: CARv1, one root, the root is a valid index block
 * that hashes to its CID, every record's payload and envelope block present,
 * no block the index does not name, no block larger than the limits. Each
 * `get` then reads one envelope block and checks that it hashes to its CID
 * and that its payload hashes to the record id. {@link CarStore.verify}
 * checks every block at once.
 *
 * A file source is read on demand (memory stays small whatever the CAR's
 * size) and nothing is held open between calls, so there is nothing to close.
 *
 * @example
 * ```ts
 * const store = await CarStore.open('chain.car');
 * for await (const id of store.list()) console.log(id.toString());
 * ```
 */
export class CarStore implements RecordStore {
  /** The CAR file (absolute path), or `<bytes>` for a CAR in memory. */
  readonly location: string;
  /** Always false: a CAR file is a read-only store. */
  readonly writable = false as const;
  /** The CID of the CAR's index block (its single root). */
  readonly root: CID;
  readonly #records: Map<string, CarIndexEntry>;
  readonly #blocks: Map<string, BlockLocation>;
  readonly #sections: readonly BlockLocation[];
  readonly #openReader: () => Promise<RangeReader>;
  readonly #limits: Required<StoreLimits>;

  private constructor(
    location: string,
    root: CID,
    records: Map<string, CarIndexEntry>,
    blocks: Map<string, BlockLocation>,
    sections: readonly BlockLocation[],
    openReader: () => Promise<RangeReader>,
    limits: Required<StoreLimits>,
  ) {
    this.location = location;
    this.root = root;
    this.#records = records;
    this.#blocks = blocks;
    this.#sections = sections;
    this.#openReader = openReader;
    this.#limits = limits;
  }

  /**
   * Open a provenant CAR file (or CAR bytes) as a read-only store.
   *
   * @param source the path of a `.car` file, or the CAR's bytes (copied)
   * @param options limits
   * @returns the store
   * @throws InputError `ERR_NOT_FOUND`, `ERR_NOT_A_FILE`, `ERR_UNREADABLE` for a file that cannot be read
   * @throws InputError `ERR_MALFORMED` for bytes that are not a provenant CAR (bad header, other
   *   roots or block kinds, truncated, a missing or unreferenced block, a bad index)
   * @throws InputError `ERR_LIMIT_EXCEEDED` for an oversized header, index or envelope block
   * @throws VerificationError `ERR_BLOCK_MISMATCH` when the index block does not hash to its CID
   * @example
   * ```ts
   * const store = await CarStore.open('release/chain.car');
   * const record = await store.get(modelId);
   * ```
   */
  static async open(source: string | Uint8Array, options: CarStoreOptions = {}): Promise<CarStore> {
    const limits: Required<StoreLimits> = {
      maxBytes: options.limits?.maxBytes ?? MAX_ENVELOPE_BYTES,
      maxSignatures: options.limits?.maxSignatures ?? MAX_SIGNATURES,
      maxIndexBytes: options.limits?.maxIndexBytes ?? MAX_CAR_INDEX_BYTES,
    };
    if (!(limits.maxBytes > 0) || !(limits.maxSignatures > 0) || !(limits.maxIndexBytes > 0)) {
      throw new RangeError('store limits must be positive');
    }
    let location: string;
    let size: number;
    let openReader: () => Promise<RangeReader>;
    let chunks: () => AsyncIterable<Uint8Array>;
    const streams: ReadStream[] = [];
    if (source instanceof Uint8Array) {
      const bytes = new Uint8Array(source);
      location = '<bytes>';
      size = bytes.length;
      openReader = async () => bytesReader(bytes, location);
      chunks = async function* () {
        yield bytes;
      };
    } else if (typeof source === 'string') {
      const path = resolve(source);
      location = path;
      let info;
      try {
        info = await stat(path);
      } catch (err) {
        throw fsError(err, path, 'open the CAR file');
      }
      if (!info.isFile()) throw new InputError('ERR_NOT_A_FILE', `${path}: not a regular file`);
      size = info.size;
      openReader = () => fileReader(path);
      chunks = () => {
        const stream = createReadStream(path);
        // Destroyed in `open`'s finally: a CAR refused half-way must not keep its descriptor open.
        streams.push(stream);
        return stream;
      };
    } else {
      throw new TypeError('"source" expected a path or CAR bytes');
    }

    const reader = await openStoreReader(openReader, location);
    let head: Uint8Array;
    try {
      head = await reader.read(0, Math.min(10, size));
    } finally {
      await reader.close();
    }
    checkHeaderLength(head, location);

    let indexer: CarIndexer;
    const sections: BlockLocation[] = [];
    const blocks = new Map<string, BlockLocation>();
    const largest = Math.max(limits.maxBytes, limits.maxIndexBytes);
    try {
      indexer = await CarIndexer.fromIterable(chunks());
      if (indexer.version !== 1) throw new InputError('ERR_MALFORMED', `${location}: CAR version ${indexer.version}; provenant CARs are CARv1`);
      for await (const block of indexer) {
        assertJsonBlockCid(block.cid, location);
        if (block.blockOffset + block.blockLength > size) {
          throw new InputError('ERR_MALFORMED', `${location}: the CAR is truncated (block ${block.cid} ends past the end of the file)`);
        }
        if (block.blockLength > largest) {
          throw new InputError('ERR_LIMIT_EXCEEDED', `${location}: block ${block.cid} is ${block.blockLength} bytes, above the limit of ${largest}`);
        }
        const at = { cid: block.cid, offset: block.blockOffset, length: block.blockLength };
        sections.push(at);
        if (!blocks.has(block.cid.toString())) blocks.set(block.cid.toString(), at);
      }
    } catch (err) {
      throw carError(err, location);
    } finally {
      for (const stream of streams) stream.destroy();
    }
    const roots = await indexer.getRoots();
    const root = roots[0];
    if (roots.length !== 1 || root === undefined) {
      throw new InputError('ERR_MALFORMED', `${location}: a provenant CAR has exactly one root (its index block), found ${roots.length}`);
    }
    assertJsonBlockCid(root, `${location}: root`);
    const rootBlock = blocks.get(root.toString());
    if (!rootBlock) throw new InputError('ERR_MALFORMED', `${location}: the root block ${root} is not in the CAR`);
    if (rootBlock.length > limits.maxIndexBytes) {
      throw new InputError('ERR_LIMIT_EXCEEDED', `${location}: the index block is ${rootBlock.length} bytes, above the limit of ${limits.maxIndexBytes}`);
    }
    const rootReader = await openStoreReader(openReader, location);
    let indexBytes: Uint8Array;
    try {
      indexBytes = await rootReader.read(rootBlock.offset, rootBlock.length);
    } finally {
      await rootReader.close();
    }
    checkBlock(root, indexBytes, location);
    const entries = parseCarIndex(indexBytes, location, limits.maxIndexBytes);

    const records = new Map<string, CarIndexEntry>();
    const referenced = new Set<string>([root.toString()]);
    for (const entry of entries) {
      const id = entry.id.toString();
      const env = entry.envelope.toString();
      if (!blocks.has(id)) throw new InputError('ERR_MALFORMED', `${location}: the payload block of record ${id} is missing`);
      const envBlock = blocks.get(env);
      if (!envBlock) throw new InputError('ERR_MALFORMED', `${location}: the envelope block ${env} of record ${id} is missing`);
      if (envBlock.length > limits.maxBytes) {
        throw new InputError('ERR_LIMIT_EXCEEDED', `${location}: the envelope of record ${id} is ${envBlock.length} bytes, above the limit of ${limits.maxBytes}`);
      }
      records.set(id, entry);
      referenced.add(id);
      referenced.add(env);
    }
    for (const cid of blocks.keys()) {
      if (!referenced.has(cid)) throw new InputError('ERR_MALFORMED', `${location}: block ${cid} is not named by the CAR index`);
    }
    return new CarStore(location, root, records, blocks, sections, openReader, limits);
  }

  /**
   * Read one record: its envelope block must hash to its CID and its payload
   * to the record id.
   *
   * @param id the record id
   * @returns the record, with the envelope bytes exactly as in the CAR
   * @throws InputError `ERR_RECORD_NOT_FOUND` when the CAR's index does not list `id`
   * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED` for an invalid envelope; `ERR_UNREADABLE`
   * @throws VerificationError `ERR_BLOCK_MISMATCH` when the envelope block was altered
   * @throws VerificationError `ERR_RECORD_ID_MISMATCH` when the envelope carries another payload
   * @example
   * ```ts
   * const { payload, envelopeBytes } = await store.get(id);
   * ```
   */
  async get(id: RecordIdInput): Promise<StoredRecord> {
    const cid = asRecordId(id);
    const entry = this.#records.get(cid.toString());
    if (!entry) throw new InputError('ERR_RECORD_NOT_FOUND', `record ${cid} is not in ${this.location}`);
    const block = this.#blocks.get(entry.envelope.toString())!;
    const reader = await this.#reader();
    let bytes: Uint8Array;
    try {
      bytes = await reader.read(block.offset, block.length);
    } finally {
      await reader.close();
    }
    checkBlock(entry.envelope, bytes, this.location);
    return decodeStoredRecord(bytes, entry.id, `${this.location} (record ${entry.id})`, this.#limits);
  }

  /**
   * Whether the CAR's index lists `id`.
   *
   * @param id the record id
   * @returns true when the record is in the CAR
   * @throws InputError `ERR_MALFORMED` for a bad id
   * @example
   * ```ts
   * await store.has(id) // true
   * ```
   */
  async has(id: RecordIdInput): Promise<boolean> {
    return this.#records.has(asRecordId(id).toString());
  }

  /**
   * Every record id in the CAR, in index order (sorted by id).
   *
   * @returns an async iterable of record ids
   * @example
   * ```ts
   * for await (const id of store.list()) console.log(id.toString());
   * ```
   */
  async *list(): AsyncGenerator<CID> {
    for (const entry of this.#records.values()) yield entry.id;
  }

  /**
   * Check the whole CAR: every block (including repeated ones) hashes to its
   * CID, and every record's envelope decodes and carries its record id's
   * payload. Nothing is trusted from an earlier read.
   *
   * @param options an AbortSignal, checked between blocks
   * @returns the number of records checked
   * @throws VerificationError `ERR_BLOCK_MISMATCH`, `ERR_RECORD_ID_MISMATCH`
   * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED`, `ERR_UNREADABLE`
   * @throws AbortError `ERR_ABORTED`
   * @example
   * ```ts
   * await (await CarStore.open('chain.car')).verify();
   * ```
   */
  async verify(options: { signal?: AbortSignal } = {}): Promise<number> {
    const reader = await this.#reader();
    try {
      for (const block of this.#sections) {
        throwIfAborted(options.signal);
        checkBlock(block.cid, await reader.read(block.offset, block.length), this.location);
      }
    } finally {
      await reader.close();
    }
    for (const entry of this.#records.values()) {
      throwIfAborted(options.signal);
      await this.get(entry.id);
    }
    return this.#records.size;
  }

  /**
   * Not available: a CAR file is a read-only store (import it into a
   * directory store with `importCar` to add records). The parameter type
   * `never` makes every call a type error; a call through a cast throws.
   *
   * @throws InputError `ERR_READ_ONLY`, always
   * @example
   * ```ts
   * if (store.writable) await store.put(envelope); // narrows away CarStore
   * ```
   */
  async put(_envelope: never): Promise<never> {
    throw new InputError('ERR_READ_ONLY', `${this.location}: a CAR file is a read-only store; import it into a directory store to add records`);
  }

  #reader(): Promise<RangeReader> {
    return openStoreReader(this.#openReader, this.location);
  }
}

async function openStoreReader(openReader: () => Promise<RangeReader>, location: string): Promise<RangeReader> {
  try {
    return await openReader();
  } catch (err) {
    throw fsError(err, location, 'read the CAR file');
  }
}

function bytesReader(bytes: Uint8Array, location: string): RangeReader {
  return {
    async read(offset, length) {
      if (offset + length > bytes.length) throw truncated(location);
      return bytes.slice(offset, offset + length);
    },
    async close() {},
  };
}

async function fileReader(path: string): Promise<RangeReader> {
  const fh = await open(path, 'r');
  return {
    async read(offset, length) {
      const out = new Uint8Array(length);
      let at = 0;
      try {
        while (at < length) {
          const { bytesRead } = await fh.read(out, at, length - at, offset + at);
          if (bytesRead === 0) throw truncated(path);
          at += bytesRead;
        }
      } catch (err) {
        if (err instanceof ProvenantError) throw err;
        throw fsError(err, path, 'read the CAR file');
      }
      return out;
    },
    async close() {
      await fh.close().catch(() => undefined);
    },
  };
}

function truncated(location: string): InputError {
  return new InputError('ERR_MALFORMED', `${location}: the CAR is truncated (it changed or was cut short)`);
}

/** Refuse a header whose announced length is absurd, before the CAR library buffers it. */
function checkHeaderLength(head: Uint8Array, location: string): void {
  let length: number;
  try {
    length = varint.decode(head)[0];
  } catch (err) {
    throw new InputError('ERR_MALFORMED', `${location}: not a CAR file (bad header length)`, { cause: err });
  }
  if (!Number.isSafeInteger(length) || length === 0) throw new InputError('ERR_MALFORMED', `${location}: not a CAR file (bad header length)`);
  if (length > MAX_HEADER_BYTES) {
    throw new InputError('ERR_LIMIT_EXCEEDED', `${location}: the CAR header is ${length} bytes, above the limit of ${MAX_HEADER_BYTES}`);
  }
}

/** Our errors pass through; file-system errors keep their meaning; anything the CAR decoder throws means "not a CAR". */
function carError(err: unknown, location: string): unknown {
  if (err instanceof ProvenantError) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.syscall === 'string') return fsError(err, location, 'read the CAR file');
  return new InputError('ERR_MALFORMED', `${location}: not a valid CAR file: ${e?.message ?? String(err)}`, { cause: err });
}
