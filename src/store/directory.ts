import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CID } from 'multiformats/cid';
import { parseEnvelope } from '../envelope/parse.js';
import { MAX_ENVELOPE_BYTES, MAX_SIGNATURES, type EnvelopeLimits } from '../envelope/types.js';
import { bytesEqual } from '../lib/bytes.js';
import { InputError, ProvenantError, fsError } from '../lib/errors.js';
import { readRegularFile, writeFileAtomic } from '../lib/fs.js';
import { parseRecordId, recordId } from '../records/id.js';
import { decodeStoredRecord } from './decode.js';
import { asRecordId, envelopeBytesOf } from './input.js';
import { mergeEnvelopes } from './merge.js';
import type { EnvelopeInput, RecordIdInput, StoredRecord, WritableRecordStore } from './types.js';

/** The store the CLI uses when `--store` is not given. */
export const DEFAULT_STORE_DIR = '.provenant';

/** Options of {@link DirectoryStore}. */
export interface DirectoryStoreOptions {
  /** Envelope size and signature-count limits, applied on read and write. */
  limits?: EnvelopeLimits;
}

const SHARD = /^[a-z2-7]{2}$/;
const RECORD_FILE = /^(b[a-z2-7]+)\.json$/;
// Codes of a stored file that is missing or damaged: `put` replaces it. Any
// other failure (permission denied, I/O error) is reported, so a file we could
// not read is never overwritten with fewer signatures than it had.
const REPLACEABLE = new Set([
  'ERR_RECORD_NOT_FOUND',
  'ERR_MALFORMED',
  'ERR_LIMIT_EXCEEDED',
  'ERR_RECORD_ID_MISMATCH',
  'ERR_SYMLINK_REFUSED',
  'ERR_NOT_A_FILE',
]);

/**
 * A content-addressed store of DSSE envelopes in a directory (by default
 * `./.provenant`).
 *
 * Layout: one file per record, `<dir>/<shard>/<id>.json`, holding the
 * envelope bytes exactly as they were put. `<id>` is the record id in its
 * base32 string form (`bagaaiera...`) and `<shard>` is the two characters of
 * the id before its last one (as IPFS's flatfs `next-to-last/2` does), so no
 * directory grows past ~1/1024 of the records. Names starting with `.` are
 * temporary files of writers in progress (or of a writer that crashed) and
 * are never read as records.
 *
 * Writes are atomic (temporary file in the shard directory, fsync, rename),
 * so a reader or a crash never sees a partial file, and any number of
 * processes may write at once: each rename installs a complete, valid
 * envelope for that id. Reads check that the payload hashes to the file's
 * name and refuse the file otherwise.
 *
 * @example
 * ```ts
 * const store = new DirectoryStore();
 * const id = await store.put(envelopeBytes);
 * const { payload } = await store.get(id);
 * ```
 */
export class DirectoryStore implements WritableRecordStore {
  /** The store's directory, resolved to an absolute path. */
  readonly location: string;
  /** Always true: a directory store can be written to. */
  readonly writable = true as const;
  readonly #limits: Required<EnvelopeLimits>;

  /**
   * Open (lazily: nothing is touched until the first call) a directory store.
   *
   * @param dir the directory (default `./.provenant`); created on the first `put`
   * @param options limits
   * @throws RangeError for a non-positive limit
   * @example
   * ```ts
   * const store = new DirectoryStore('chain', { limits: { maxBytes: 1 << 20 } });
   * ```
   */
  constructor(dir: string = DEFAULT_STORE_DIR, options: DirectoryStoreOptions = {}) {
    if (typeof dir !== 'string' || dir === '') throw new TypeError('"dir" expected a non-empty path');
    this.location = resolve(dir);
    const maxBytes = options.limits?.maxBytes ?? MAX_ENVELOPE_BYTES;
    const maxSignatures = options.limits?.maxSignatures ?? MAX_SIGNATURES;
    if (!(maxBytes > 0) || !(maxSignatures > 0)) throw new RangeError('store limits must be positive');
    this.#limits = { maxBytes, maxSignatures };
  }

  /**
   * The file a record is (or would be) stored in.
   *
   * @param id the record id
   * @returns `<dir>/<shard>/<id>.json`
   * @throws InputError `ERR_MALFORMED` when `id` is not a record id
   * @example
   * ```ts
   * store.pathOf('bagaaiera...') // '/abs/.provenant/xy/bagaaiera....json'
   * ```
   */
  pathOf(id: RecordIdInput): string {
    const text = asRecordId(id).toString();
    return join(this.location, text.slice(-3, -1), `${text}.json`);
  }

  /**
   * Read a record and check that its payload hashes to its id.
   *
   * @param id the record id
   * @returns the record, with the envelope bytes exactly as stored
   * @throws InputError `ERR_RECORD_NOT_FOUND` when no such record is stored
   * @throws InputError `ERR_MALFORMED` (bad id, truncated or invalid envelope), `ERR_LIMIT_EXCEEDED`,
   *   `ERR_SYMLINK_REFUSED`, `ERR_NOT_A_FILE`, `ERR_UNREADABLE`
   * @throws VerificationError `ERR_RECORD_ID_MISMATCH` when the file's payload does not hash to its name
   * @example
   * ```ts
   * const record = await store.get(id);
   * verifyEnvelope(record, { keys, threshold: 1 });
   * ```
   */
  async get(id: RecordIdInput): Promise<StoredRecord> {
    const cid = asRecordId(id);
    const path = this.pathOf(cid);
    let fh;
    try {
      // O_NOFOLLOW: a record is a regular file written by a store, never a
      // link to somewhere else on the machine.
      fh = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new InputError('ERR_RECORD_NOT_FOUND', `record ${cid} is not in the store ${this.location}`, { cause: err });
      }
      if (code === 'ELOOP') throw new InputError('ERR_SYMLINK_REFUSED', `${path}: is a symbolic link, not a record`, { cause: err });
      throw fsError(err, path, 'read the record');
    }
    let bytes: Uint8Array;
    try {
      const info = await fh.stat();
      if (!info.isFile()) throw new InputError('ERR_NOT_A_FILE', `${path}: not a regular file`);
      if (info.size > this.#limits.maxBytes) {
        throw new InputError('ERR_LIMIT_EXCEEDED', `${path}: the envelope is ${info.size} bytes, above the limit of ${this.#limits.maxBytes}`);
      }
      const buf = await fh.readFile();
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      if (err instanceof ProvenantError) throw err;
      throw fsError(err, path, 'read the record');
    } finally {
      await fh.close().catch(() => undefined);
    }
    return decodeStoredRecord(bytes, cid, path, this.#limits);
  }

  /**
   * Whether a record file exists for `id` (its content is not checked: use
   * {@link DirectoryStore.get} for that).
   *
   * @param id the record id
   * @returns true when `<dir>/<shard>/<id>.json` is a regular file
   * @throws InputError `ERR_MALFORMED` for a bad id, `ERR_UNREADABLE` when the store cannot be read
   * @example
   * ```ts
   * if (!(await store.has(parentId))) throw new Error('missing parent');
   * ```
   */
  async has(id: RecordIdInput): Promise<boolean> {
    const path = this.pathOf(id);
    try {
      return (await lstat(path)).isFile();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw fsError(err, path, 'look up the record');
    }
  }

  /**
   * Every record id in the store: shards in name order, ids sorted within a
   * shard. Files that are not named like a record (temporary files, strays)
   * are skipped; a missing store directory lists nothing.
   *
   * @returns an async iterable of record ids
   * @throws InputError `ERR_NOT_A_DIRECTORY`, `ERR_UNREADABLE` when the store cannot be read
   * @example
   * ```ts
   * for await (const id of store.list()) console.log(id.toString());
   * ```
   */
  async *list(): AsyncGenerator<CID> {
    const shards = await this.#readdir(this.location);
    for (const shard of shards) {
      if (!shard.isDirectory() || !SHARD.test(shard.name)) continue;
      const names = (await this.#readdir(join(this.location, shard.name))).filter((e) => e.isFile()).map((e) => e.name);
      names.sort();
      for (const name of names) {
        const m = RECORD_FILE.exec(name);
        if (!m || m[1]!.slice(-3, -1) !== shard.name) continue;
        let id: CID;
        try {
          id = parseRecordId(m[1]!);
        } catch {
          continue;
        }
        // Only the canonical spelling of an id names a record file.
        if (id.toString() === m[1]) yield id;
      }
    }
  }

  /**
   * Store a DSSE envelope under its record id: the CIDv1 (json, sha2-256) of
   * its decoded payload bytes.
   *
   * Bytes and text are stored exactly as given (copied before anything
   * asynchronous happens), an envelope object as canonical JSON. Putting a
   * record that is already stored is a no-op. Putting another envelope of the
   * same record (same payload, other signatures) keeps every signature: the
   * given bytes when they carry all the stored signatures, else the canonical
   * JSON of the union. Two processes adding *different* signatures to the
   * same record at the same instant can each install their own union; the
   * file is always complete and valid, and putting again merges what is
   * missing.
   *
   * @param envelope the envelope as bytes, text or a JSON object
   * @returns the record id
   * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED` for an envelope that is not valid
   * @throws InputError `ERR_RECORD_CONFLICT` when the record is stored with another payloadType
   * @throws InputError `ERR_WRITE_FAILED` when the file cannot be written (nothing is left behind)
   * @example
   * ```ts
   * const env = await signEnvelope('application/vnd.in-toto+json', payload, [signer]);
   * const id = await store.put(env);
   * ```
   */
  async put(envelope: EnvelopeInput): Promise<CID> {
    const bytes = envelopeBytesOf(envelope, this.#limits);
    const parsed = parseEnvelope(bytes, this.#limits);
    const id = recordId(parsed.payload);
    const path = this.pathOf(id);
    let existing: StoredRecord | undefined;
    try {
      existing = await this.get(id);
    } catch (err) {
      if (!(err instanceof ProvenantError) || !REPLACEABLE.has(err.code)) throw err;
    }
    let data = bytes;
    if (existing) {
      if (bytesEqual(existing.envelopeBytes, bytes)) return id;
      const merged = mergeEnvelopes(existing, parsed, bytes, this.#limits.maxSignatures);
      if (merged === undefined) return id;
      data = merged;
    }
    const shardDir = join(this.location, id.toString().slice(-3, -1));
    let created: string | undefined;
    try {
      created = await mkdir(shardDir, { recursive: true });
    } catch (err) {
      throw new InputError('ERR_WRITE_FAILED', `cannot create ${shardDir}: ${(err as Error).message}`, { cause: err });
    }
    await writeFileAtomic(path, data);
    // The rename is durable only once its directory is flushed (and the
    // shard's entry in the store directory, when the shard is new).
    await syncDirectory(shardDir);
    if (created !== undefined) await syncDirectory(this.location);
    return id;
  }

  /**
   * The file of a record's Sigstore bundle: the sidecar `<dir>/<shard>/<id>.sigstore.json`
   * next to the record (a record signed keylessly is stored as its plain DSSE
   * envelope, and its bundle here). `list` never reads sidecars as records.
   *
   * @param id the record id
   * @returns the sidecar's path
   * @throws InputError `ERR_MALFORMED` when `id` is not a record id
   * @example
   * ```ts
   * store.bundlePathOf(id) // '/abs/.provenant/xy/bagaaiera....sigstore.json'
   * ```
   */
  bundlePathOf(id: RecordIdInput): string {
    const text = asRecordId(id).toString();
    return join(this.location, text.slice(-3, -1), `${text}.sigstore.json`);
  }

  /**
   * Store a record's Sigstore bundle (JSON bytes) in its sidecar, atomically,
   * replacing any bundle there. The bundle is not checked here: `verify`
   * checks it against the record and the policy.
   *
   * @param id the record id
   * @param bundle the bundle's JSON bytes (at most the envelope size limit)
   * @throws InputError `ERR_MALFORMED` for a bad id, `ERR_LIMIT_EXCEEDED`, `ERR_WRITE_FAILED`
   * @example
   * ```ts
   * await store.putBundle(id, utf8(JSON.stringify(signed.bundle)));
   * ```
   */
  async putBundle(id: RecordIdInput, bundle: Uint8Array): Promise<void> {
    const path = this.bundlePathOf(id);
    const data = new Uint8Array(bundle);
    if (data.length > this.#limits.maxBytes) {
      throw new InputError('ERR_LIMIT_EXCEEDED', `the Sigstore bundle is ${data.length} bytes, above the limit of ${this.#limits.maxBytes}`);
    }
    const shardDir = join(path, '..');
    try {
      await mkdir(shardDir, { recursive: true });
    } catch (err) {
      throw new InputError('ERR_WRITE_FAILED', `cannot create ${shardDir}: ${(err as Error).message}`, { cause: err });
    }
    await writeFileAtomic(path, data);
    await syncDirectory(shardDir);
  }

  /**
   * A record's Sigstore bundle from its sidecar, if it has one.
   *
   * @param id the record id
   * @returns the bundle's bytes, or undefined when there is no sidecar
   * @throws InputError `ERR_MALFORMED` for a bad id, `ERR_LIMIT_EXCEEDED`, `ERR_SYMLINK_REFUSED`, `ERR_UNREADABLE`
   * @example
   * ```ts
   * const bundle = await store.getBundle(id);
   * ```
   */
  async getBundle(id: RecordIdInput): Promise<Uint8Array | undefined> {
    const path = this.bundlePathOf(id);
    try {
      await lstat(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw fsError(err, path, 'read the Sigstore bundle');
    }
    return new Uint8Array(await readRegularFile(path, 'read the Sigstore bundle', this.#limits.maxBytes));
  }

  async #readdir(dir: string) {
    try {
      return await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw fsError(err, dir, 'list the store');
    }
  }
}

/** fsync a directory; platforms that cannot (Windows) are skipped. */
async function syncDirectory(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Durability of the directory entry is best effort: the file itself was
    // already flushed, and failing the put here would report an error for a
    // record that is in fact stored.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
