import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { CID } from 'multiformats/cid';
import { toHex } from '../lib/bytes.js';
import { fsError, InputError, throwIfAborted } from '../lib/errors.js';
import { hashModel, type HashModelOptions, type ModelManifest } from '../digest/model.js';
import { createRecord } from './create-record.js';
import type { DatasetFile, DatasetPredicate } from './schema/dataset.js';
import { PREDICATE_SCHEMAS } from './schema/registry.js';
import { checkSchema, FieldErrors } from './schema/validate.js';
import { signersOf, type SignerOptions } from './signers.js';
import { sha256Subject } from './statement.js';
import type { CreatedRecord } from './types.js';

/** Options of {@link attestDataset}. */
export interface AttestDatasetOptions
  extends SignerOptions,
    Pick<HashModelOptions, 'pool' | 'signal' | 'onProgress' | 'ignorePaths' | 'ignoreGitPaths' | 'allowSymlinks'> {
  name: string;
  version: string;
  /** SPDX licence expression (or free text). */
  license?: string;
  /** Where the data came from (an absolute URI). */
  source?: string;
  /** Number of records (rows, examples, documents). */
  recordCount?: number;
  /** Ids of records (e.g. governance decisions) that approved the dataset. */
  approvals?: readonly (CID | string)[];
}

/** What {@link attestDataset} produced. */
export interface AttestedDataset extends CreatedRecord<'dataset'> {
  /** The dataset as hashed (OMS `files` serialization). */
  manifest: ModelManifest;
}

/** How many `stat` calls run at once when collecting file sizes. */
const STAT_CONCURRENCY = 64;

/**
 * Check the caller's metadata against the dataset schema before any hashing,
 * so a bad name fails in a millisecond rather than after an hour of I/O.
 */
function checkMetadata(metadata: Partial<DatasetPredicate>): void {
  const properties = PREDICATE_SCHEMAS.dataset.properties;
  const errors = new FieldErrors();
  for (const key of ['name', 'version', 'license', 'source', 'recordCount', 'approvals'] as const) {
    if (key === 'name' || key === 'version' || metadata[key] !== undefined) checkSchema(properties[key], metadata[key], `predicate.${key}`, errors);
  }
  errors.throwIfAny('dataset metadata');
}

async function fileSizes(root: string, manifest: ModelManifest, signal: AbortSignal | undefined): Promise<number[]> {
  const sizes = new Array<number>(manifest.resources.length);
  for (let at = 0; at < manifest.resources.length; at += STAT_CONCURRENCY) {
    throwIfAborted(signal);
    const batch = manifest.resources.slice(at, at + STAT_CONCURRENCY);
    await Promise.all(
      batch.map(async (r, i) => {
        const path = r.name === '.' ? root : join(root, ...r.name.split('/'));
        try {
          sizes[at + i] = (await stat(path)).size;
        } catch (err) {
          throw fsError(err, path, 'read');
        }
      }),
    );
  }
  // The hasher checked each file while reading it; a size that moved since
  // then means the dataset is being written to.
  const total = sizes.reduce((n, s) => n + s, 0);
  if (total !== manifest.totalBytes) {
    throw new InputError('ERR_FILE_CHANGED', `${root}: the dataset changed while it was attested (${manifest.totalBytes} bytes hashed, ${total} now)`);
  }
  return sizes;
}

/**
 * Hash a dataset (a directory or one file) with the same engine as model
 * weights (OMS `files` serialization, SHA-256 in worker threads) and sign a
 * `dataset` record for it. The subject is the dataset's root digest; the
 * predicate lists every file with its SHA-256 and size.
 *
 * @param path the dataset directory or file
 * @param options name, version, licence, source, record count, approvals, signer(s), hashing options
 * @returns the signed record and the hash manifest
 * @throws VerificationError `ERR_SCHEMA` for bad metadata (every bad field listed, before hashing)
 * @throws InputError `ERR_NOT_FOUND` (missing or empty dataset), `ERR_SYMLINK_REFUSED`, `ERR_FILE_CHANGED`,
 *   `ERR_UNREADABLE`; AbortError `ERR_ABORTED`
 * @throws TypeError without a signer
 * @example
 * ```ts
 * const signer = await importSigner(await readFile('key.pem', 'utf8'));
 * const record = await attestDataset('data/tiny', { name: 'tiny', version: '1.0', license: 'CC-BY-4.0', signer });
 * await store.put(record.envelopeBytes);
 * ```
 */
export async function attestDataset(path: string, options: AttestDatasetOptions): Promise<AttestedDataset> {
  const signers = signersOf(options);
  const approvals = options.approvals?.map((id) => id.toString());
  const metadata: Partial<DatasetPredicate> = {
    name: options.name,
    version: options.version,
    ...(options.license !== undefined ? { license: options.license } : {}),
    ...(options.source !== undefined ? { source: options.source } : {}),
    ...(options.recordCount !== undefined ? { recordCount: options.recordCount } : {}),
    ...(approvals !== undefined ? { approvals } : {}),
  };
  checkMetadata(metadata);

  const root = resolve(path);
  const manifest = await hashModel(root, {
    method: 'files',
    ...(options.ignorePaths ? { ignorePaths: options.ignorePaths } : {}),
    ...(options.ignoreGitPaths !== undefined ? { ignoreGitPaths: options.ignoreGitPaths } : {}),
    ...(options.allowSymlinks !== undefined ? { allowSymlinks: options.allowSymlinks } : {}),
    ...(options.pool ? { pool: options.pool } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  if (manifest.resources.length === 0) throw new InputError('ERR_NOT_FOUND', `${path}: the dataset has no files to attest`);
  const sizes = await fileSizes(root, manifest, options.signal);
  throwIfAborted(options.signal);

  // A single-file dataset is named by its base name, not OMS's ".".
  const files: DatasetFile[] = manifest.resources.map((r, i) => ({
    name: r.name === '.' ? basename(root) : r.name,
    sha256: toHex(r.digest),
    size: sizes[i]!,
  }));
  const rootDigest = toHex(manifest.rootDigest);
  const predicate: DatasetPredicate = { ...(metadata as Pick<DatasetPredicate, 'name' | 'version'>), files, rootDigest };
  const record = await createRecord({ kind: 'dataset', subject: [sha256Subject(options.name, rootDigest)], predicate, signers });
  return { ...record, manifest };
}
