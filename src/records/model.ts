import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { CID } from 'multiformats/cid';
import { toHex, utf8 } from '../lib/bytes.js';
import { fsError, InputError, ProvenantError, throwIfAborted, VerificationError } from '../lib/errors.js';
import { readRegularFile } from '../lib/fs.js';
import { hashFile } from '../digest/file.js';
import type { HashPool } from '../digest/pool.js';
import type { PublicKey } from '../envelope/keys.js';
import type { Envelope } from '../envelope/types.js';
import { createRecord } from './create-record.js';
import { resolveLinks } from './links.js';
import { parseKeyBundle } from './oms/bundle.js';
import { openRecord } from './open-record.js';
import type { DigestedFile, ModelPredicate } from './schema/model.js';
import { PREDICATE_SCHEMAS } from './schema/registry.js';
import { checkSchema, FieldErrors } from './schema/validate.js';
import { signersOf, type SignerOptions } from './signers.js';
import { sha256Subject } from './statement.js';
import type { CreatedRecord, OpenedRecord, RecordSource } from './types.js';

/** Options of {@link attestModel}. */
export interface AttestModelOptions extends SignerOptions {
  name: string;
  version: string;
  /** The OMS weights signature (`model.sig`): its path, or its bytes. */
  weights: string | Uint8Array;
  /** Ids of the `dataset` records the model was trained on. */
  datasets?: readonly (CID | string)[];
  /** Ids of the `model` records it derives from. */
  parents?: readonly (CID | string)[];
  /** Ids of records (e.g. governance decisions) that approved the model. */
  approvals?: readonly (CID | string)[];
  /** Path of the model card; its SHA-256 is recorded. */
  card?: string;
  /** Path of the training configuration; its SHA-256 is recorded. */
  trainingConfig?: string;
  /** SPDX licence expression (or free text). */
  license?: string;
  /** Weight format, e.g. `safetensors`. */
  format?: string;
  /** Where linked datasets and parents are looked up. */
  store: RecordSource;
  /**
   * Keys trusted to have signed the weights signature and every linked
   * record (one valid signature each). Default: the signers' own keys.
   */
  trustedKeys?: readonly PublicKey[];
  /** Hashing pool for the card and config (small files hash inline). */
  pool?: HashPool;
  signal?: AbortSignal;
}

/** The weights record a model record links to. */
export interface LinkedWeights {
  /** Id of the weights record (CID of its payload). */
  id: CID;
  /** The DSSE envelope inside `model.sig`, to store next to the model record. */
  envelope: Envelope;
  /** UTF-8 of `JSON.stringify(envelope)`. */
  envelopeBytes: Uint8Array;
  /** The OMS root digest, lower-case hex. */
  rootDigest: string;
}

/** What {@link attestModel} produced. */
export interface AttestedModel extends CreatedRecord<'model'> {
  weights: LinkedWeights;
  /** The linked dataset records, verified. */
  datasets: OpenedRecord<'dataset'>[];
  /** The linked parent model records, verified. */
  parents: OpenedRecord<'model'>[];
}

function idStrings(ids: readonly (CID | string)[] | undefined): string[] | undefined {
  return ids?.map((id) => id.toString());
}

/** Check the caller's metadata and link ids against the model schema before any I/O. */
function checkMetadata(metadata: Partial<ModelPredicate>): void {
  const properties = PREDICATE_SCHEMAS.model.properties;
  const errors = new FieldErrors();
  for (const key of ['name', 'version', 'format', 'license', 'datasets', 'parents', 'approvals'] as const) {
    if (key === 'name' || key === 'version' || metadata[key] !== undefined) checkSchema(properties[key], metadata[key], `predicate.${key}`, errors);
  }
  errors.throwIfAny('model metadata');
}

async function readWeights(weights: string | Uint8Array): Promise<Uint8Array> {
  // Copy caller-owned bytes before the first await.
  if (weights instanceof Uint8Array) return new Uint8Array(weights);
  return new Uint8Array(await readRegularFile(resolve(weights), 'read the weights signature'));
}

/** Verify the OMS signature as a `weights` record signed by a trusted key. */
function linkWeights(bytes: Uint8Array, keys: readonly PublicKey[]): LinkedWeights {
  const bundle = parseKeyBundle(bytes);
  let record;
  try {
    record = openRecord(bundle.envelope, { keys, threshold: 1, kinds: ['weights'] });
  } catch (err) {
    if (!(err instanceof ProvenantError)) throw err;
    if (err.code === 'ERR_PREDICATE_TYPE') {
      throw new VerificationError('ERR_LINK_KIND', `the weights signature is not an OMS weights record: ${err.message}`, { cause: err });
    }
    if (err.code === 'ERR_SIGNATURE_INVALID' || err.code === 'ERR_THRESHOLD_NOT_MET') {
      throw new VerificationError('ERR_LINK_UNVERIFIED', 'the weights signature is not signed by a trusted key', { cause: err });
    }
    throw err;
  }
  const envelope = bundle.envelope.envelope;
  return {
    id: record.id,
    envelope,
    envelopeBytes: utf8(JSON.stringify(envelope)),
    rootDigest: record.statement.subject[0].digest.sha256,
  };
}

async function digestFile(path: string, pool: HashPool | undefined, signal: AbortSignal | undefined): Promise<DigestedFile> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new InputError('ERR_NOT_A_FILE', `${path}: not a regular file`);
    size = st.size;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw fsError(err, path, 'read');
  }
  const digest = await hashFile(path, { ...(pool ? { pool } : {}), ...(signal ? { signal } : {}) });
  return { name: basename(resolve(path)), sha256: toHex(digest), size };
}

/**
 * Sign a `model` record for a model version: it links the OMS weights
 * signature (as the `weights` record inside `model.sig`, by id and root
 * digest), the datasets it was trained on, its parent models, and the
 * digests of its model card and training configuration. Every link must
 * verify first: the weights signature and each linked record must be signed
 * by a trusted key, each linked record must be in the store under its id, and
 * of the right kind (datasets are `dataset` records, parents `model` records).
 *
 * @param options name, version, weights signature, links, card, config, licence, format, signer(s), store, trusted keys
 * @returns the signed model record, the weights envelope (store it too) and the verified linked records
 * @throws VerificationError `ERR_SCHEMA` (bad metadata or ids, before any I/O), `ERR_LINK_MISSING`,
 *   `ERR_LINK_UNVERIFIED`, `ERR_LINK_KIND` (details name every bad link), `ERR_ROOT_DIGEST_MISMATCH`
 *   and the errors of a malformed weights signature (`ERR_UNKNOWN_MEDIA_TYPE`, `ERR_STATEMENT_INVALID`, ...)
 * @throws InputError for unreadable files or a malformed signature file; AbortError `ERR_ABORTED`
 * @throws TypeError without a signer
 * @example
 * ```ts
 * const record = await attestModel({
 *   name: 'tiny', version: '1.0', weights: 'models/tiny/model.sig',
 *   datasets: [datasetId], card: 'models/tiny/README.md', signer, store,
 * });
 * await store.put(record.weights.envelopeBytes);
 * await store.put(record.envelopeBytes);
 * ```
 */
export async function attestModel(options: AttestModelOptions): Promise<AttestedModel> {
  const signers = signersOf(options);
  const keys = options.trustedKeys ?? signers.map((s) => s.publicKey);
  const datasets = idStrings(options.datasets);
  const parents = idStrings(options.parents);
  const approvals = idStrings(options.approvals);
  const metadata: Partial<ModelPredicate> = {
    name: options.name,
    version: options.version,
    ...(options.format !== undefined ? { format: options.format } : {}),
    ...(options.license !== undefined ? { license: options.license } : {}),
    ...(datasets !== undefined ? { datasets } : {}),
    ...(parents !== undefined ? { parents } : {}),
    ...(approvals !== undefined ? { approvals } : {}),
  };
  checkMetadata(metadata);

  const weights = linkWeights(await readWeights(options.weights), keys);
  const linkedDatasets = await resolveLinks(datasets ?? [], { store: options.store, keys, kind: 'dataset', role: 'dataset' });
  const linkedParents = await resolveLinks(parents ?? [], { store: options.store, keys, kind: 'model', role: 'parent model' });
  throwIfAborted(options.signal);
  const card = options.card !== undefined ? await digestFile(options.card, options.pool, options.signal) : undefined;
  const trainingConfig =
    options.trainingConfig !== undefined ? await digestFile(options.trainingConfig, options.pool, options.signal) : undefined;
  throwIfAborted(options.signal);

  const predicate: ModelPredicate = {
    ...(metadata as Pick<ModelPredicate, 'name' | 'version'>),
    weights: { id: weights.id.toString(), rootDigest: weights.rootDigest },
    ...(card ? { card } : {}),
    ...(trainingConfig ? { trainingConfig } : {}),
  };
  const record = await createRecord({ kind: 'model', subject: [sha256Subject(options.name, weights.rootDigest)], predicate, signers });
  return { ...record, weights, datasets: linkedDatasets, parents: linkedParents };
}
