import type { CID } from 'multiformats/cid';
import type { PublicKey } from '../envelope/keys.js';
import { parseEnvelope } from '../envelope/parse.js';
import type { Envelope } from '../envelope/types.js';
import { fromHex } from '../lib/bytes.js';
import { InputError, ProvenantError, VerificationError } from '../lib/errors.js';
import { isObject, parseJson } from '../lib/json.js';
import { parseRecordId } from '../records/id.js';
import { openRecord } from '../records/open-record.js';
import type { OutputLeaf, OutputParameters, PromptDigest } from '../records/schema/output.js';
import type { CreatedRecord, OpenedRecord, RecordSource } from '../records/types.js';
import { parseOutputLeaf } from './leaf.js';
import { merkleLeafHash, verifyInclusion } from './merkle.js';
import { BatchReceipt, decodeReceipt, type OutputReceipt } from './receipt.js';
import { sha256Hex } from './sha256.js';

/** Trust material and expectations for verifying an output. */
export interface VerifyOutputOptions {
  /** Keys trusted to sign output records (or batch records). Nothing else counts. */
  keys: readonly PublicKey[];
  /** How many distinct trusted keys must have signed (default 1). */
  threshold?: number;
  /** The model record id the output must come from; another is `ERR_WRONG_MODEL`. */
  model?: CID | string;
}

/** Options of {@link verifyOutputReceipt}. */
export interface VerifyOutputReceiptOptions extends VerifyOutputOptions {
  /**
   * The batch record: its envelope (bytes, text or object), or a record source
   * to fetch it from by the receipt's batch id. Default: the envelope the
   * receipt carries.
   */
  batch?: Uint8Array | string | Envelope | RecordSource;
}

/** What verifying an output established. */
export interface VerifiedOutput {
  /** `output` for a single record, `output-batch` for a batched receipt. */
  kind: 'output' | 'output-batch';
  /** Id of the model record that produced the output. */
  model: string;
  /** When the output was made (RFC 3339, as signed). */
  created: string;
  /** SHA-256 of the content, lower-case hex. */
  sha256: string;
  mediaType: string;
  size: number;
  parameters: OutputParameters;
  promptDigest?: PromptDigest;
  /** The verified record: the output record, or the batch record the receipt's proof reaches. */
  record: OpenedRecord<'output'> | OpenedRecord<'output-batch'>;
  /** Key ids of the distinct trusted keys that signed it. */
  signedBy: string[];
}

function contentBytes(content: Uint8Array | string): { sha256: string; size: number } {
  if (typeof content === 'string') return { sha256: sha256Hex(content), size: Buffer.byteLength(content, 'utf8') };
  if (!(content instanceof Uint8Array)) throw new TypeError('"content" expected a Uint8Array or a string');
  return { sha256: sha256Hex(content), size: content.length };
}

function checkContent(content: Uint8Array | string, sha256: string, size: number, what: string): void {
  const actual = contentBytes(content);
  if (actual.sha256 !== sha256 || actual.size !== size) {
    throw new VerificationError(
      'ERR_DIGEST_MISMATCH',
      `the content (sha256 ${actual.sha256}, ${actual.size} bytes) is not the output ${what} names (sha256 ${sha256}, ${size} bytes)`,
    );
  }
}

function checkModel(expected: CID | string | undefined, model: string): void {
  if (expected === undefined) return;
  const want = parseRecordId(expected.toString()).toString();
  if (model !== want) throw new VerificationError('ERR_WRONG_MODEL', `the output was made by model ${model}, not the expected ${want}`);
}

function isRecordSource(value: unknown): value is RecordSource {
  return typeof value === 'object' && value !== null && typeof (value as RecordSource).get === 'function';
}

async function batchEnvelope(receipt: OutputReceipt, batch: VerifyOutputReceiptOptions['batch']): Promise<Uint8Array | string | Envelope> {
  if (batch === undefined) {
    if (receipt.envelope === undefined) {
      throw new VerificationError('ERR_LINK_MISSING', `the receipt does not carry batch record ${receipt.batch}, and none was given`);
    }
    return receipt.envelope;
  }
  if (!isRecordSource(batch)) return batch;
  let stored;
  try {
    stored = await batch.get(receipt.batch);
  } catch (err) {
    if (err instanceof ProvenantError && err.code === 'ERR_RECORD_NOT_FOUND') stored = undefined;
    else throw err;
  }
  if (stored === undefined) throw new VerificationError('ERR_LINK_MISSING', `batch record ${receipt.batch} is not in the store`);
  return stored.envelopeBytes;
}

/**
 * Verify a batched output's receipt: the content is the one the leaf names
 * (SHA-256 and size), the batch record is signed by the trusted keys (and is
 * the record the receipt names), the inclusion proof leads from the leaf to
 * the batch's Merkle root for the batch's size, and (when asked) the model is
 * the expected one. Offline: only the receipt and the batch record are needed.
 *
 * @param content the output's exact bytes (a string is taken as UTF-8); undefined checks the receipt's proof and signatures only
 * @param receipt the receipt, or its JSON or CBOR encoding
 * @param options trusted keys, threshold, the batch record (default: carried by the receipt), expected model
 * @returns the verified output: model, time, metadata, the batch record, who signed
 * @throws VerificationError `ERR_DIGEST_MISMATCH` (receipt for other content), `ERR_PROOF_INVALID`,
 *   `ERR_LINK_MISSING` (no batch record), `ERR_RECORD_ID_MISMATCH` (the batch envelope is another record),
 *   `ERR_SIGNATURE_INVALID` / `ERR_THRESHOLD_NOT_MET` (batch not signed by trusted keys),
 *   `ERR_PREDICATE_TYPE` (not a batch record), `ERR_WRONG_MODEL`
 * @throws InputError `ERR_MALFORMED` for an undecodable receipt or envelope
 * @example
 * ```ts
 * const verified = await verifyOutputReceipt(text, receiptBytes, { keys: [servingKey] });
 * console.log(verified.model, verified.created);
 * ```
 */
export async function verifyOutputReceipt(
  content: Uint8Array | string | undefined,
  receipt: OutputReceipt | Uint8Array | string,
  options: VerifyOutputReceiptOptions,
): Promise<VerifiedOutput> {
  const r = receipt instanceof Uint8Array || typeof receipt === 'string' ? decodeReceipt(receipt) : receipt;
  // Our own receipts derive `leaf` from `leafBytes`; for any other object, trust only the bytes.
  const leafBytes = new Uint8Array(r.leafBytes);
  const leaf: OutputLeaf = r instanceof BatchReceipt ? r.leaf : parseOutputLeaf(leafBytes);
  if (content !== undefined) checkContent(content, leaf.digest.sha256, leaf.size, 'receipt');
  const envelope = await batchEnvelope(r, options.batch);
  const record = openRecord(envelope, {
    keys: options.keys,
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
    kinds: ['output-batch'],
    id: r.batch,
  });
  checkReceiptProof(r, leafBytes, record);
  checkModel(options.model, record.predicate.model);
  return {
    kind: 'output-batch',
    model: record.predicate.model,
    created: leaf.created,
    sha256: leaf.digest.sha256,
    mediaType: leaf.mediaType,
    size: leaf.size,
    parameters: leaf.parameters,
    ...(leaf.promptDigest ? { promptDigest: leaf.promptDigest } : {}),
    record,
    signedBy: record.signedBy,
  };
}

/**
 * Check that a receipt's inclusion proof leads from its leaf to the batch
 * record's Merkle root, for the batch's size (a proof can be valid for a
 * tree of another size with the same path shape: the batch's `count` closes
 * that). The batch record's signature is the caller's business.
 *
 * @param receipt the receipt
 * @param leafBytes the exact leaf bytes (the receipt's, copied)
 * @param batch the batch record: its id, `count`, and the subject digest (the root)
 * @throws VerificationError `ERR_PROOF_INVALID`
 * @example
 * ```ts
 * checkReceiptProof(receipt, receipt.leafBytes, batchRecord);
 * ```
 */
export function checkReceiptProof(
  receipt: Pick<OutputReceipt, 'index' | 'size' | 'proof'>,
  leafBytes: Uint8Array,
  batch: { id: { toString(): string }; predicate: { count: number }; statement: { subject: readonly { digest: { [alg: string]: string } }[] } },
): void {
  if (receipt.size !== batch.predicate.count) {
    throw new VerificationError('ERR_PROOF_INVALID', `the receipt is for a batch of ${receipt.size}, but batch ${batch.id} holds ${batch.predicate.count}`);
  }
  const root = fromHex(batch.statement.subject[0]?.digest.sha256 ?? '');
  if (!root || root.length !== 32) throw new VerificationError('ERR_PROOF_INVALID', `batch ${batch.id} names no SHA-256 Merkle root`);
  verifyInclusion(receipt.index, receipt.size, merkleLeafHash(leafBytes), receipt.proof, root);
}

/**
 * Verify a single output's `output` record: signed by the trusted keys, and
 * naming this content (SHA-256 and size), and (when asked) the expected model.
 *
 * @param content the output's exact bytes (a string is taken as UTF-8); undefined checks the record's signatures only
 * @param envelope the record's DSSE envelope (bytes, text or object)
 * @param options trusted keys, threshold, expected model
 * @returns the verified output
 * @throws VerificationError `ERR_DIGEST_MISMATCH`, `ERR_SIGNATURE_INVALID`, `ERR_THRESHOLD_NOT_MET`,
 *   `ERR_PREDICATE_TYPE` (not an output record), `ERR_SCHEMA`, `ERR_WRONG_MODEL`
 * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED`
 * @example
 * ```ts
 * const verified = verifyOutputRecord(text, record.envelopeBytes, { keys: [servingKey] });
 * ```
 */
export function verifyOutputRecord(content: Uint8Array | string | undefined, envelope: Uint8Array | string | Envelope, options: VerifyOutputOptions): VerifiedOutput {
  const record = openRecord(envelope, {
    keys: options.keys,
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
    kinds: ['output'],
  });
  const p = record.predicate;
  const sha256 = record.statement.subject[0]!.digest.sha256!;
  if (content !== undefined) checkContent(content, sha256, p.size, 'record');
  checkModel(options.model, p.model);
  return {
    kind: 'output',
    model: p.model,
    created: p.created,
    sha256,
    mediaType: p.mediaType,
    size: p.size,
    parameters: p.parameters,
    ...(p.promptDigest ? { promptDigest: p.promptDigest } : {}),
    record,
    signedBy: record.signedBy,
  };
}

/** Where an output claims to come from: what a chain walk starts from. */
export interface OutputOrigin {
  /** Id of the model record. */
  model: string;
  /** When the output was made (RFC 3339). */
  created: string;
  /** SHA-256 of the content, lower-case hex. */
  sha256: string;
  /** Id of the batch record, for a receipt. */
  batch?: string;
}

function isReceipt(value: unknown): value is OutputReceipt {
  return value instanceof BatchReceipt || (typeof value === 'object' && value !== null && 'leafBytes' in value && 'proof' in value);
}

/**
 * The model record id, time and content digest an output claims, from a
 * receipt (with its batch envelope) or an output record, without verifying
 * anything: for routing and look-ups (which model's chain to walk, which
 * trust policy applies). Verify with {@link verifyOutputReceipt} or
 * {@link verifyOutputRecord} before relying on it; a {@link VerifiedOutput}
 * is accepted too and then the answer is verified.
 *
 * @param input a receipt (decoded, or its encoding), an output record (created or opened), or a verified output
 * @returns model record id, created time, content digest (and the batch id for a receipt)
 * @throws VerificationError `ERR_LINK_MISSING` for a receipt that does not carry its batch envelope
 * @throws InputError `ERR_MALFORMED` for an undecodable receipt or a batch envelope that is not an output-batch record
 * @example
 * ```ts
 * const { model, created } = outputOrigin(decodeReceipt(bytes));
 * ```
 */
export function outputOrigin(
  input: OutputReceipt | Uint8Array | string | CreatedRecord<'output'> | OpenedRecord<'output'> | VerifiedOutput,
): OutputOrigin {
  if (input instanceof Uint8Array || typeof input === 'string') return outputOrigin(decodeReceipt(input));
  if (isReceipt(input)) {
    if (input.envelope === undefined) {
      throw new VerificationError('ERR_LINK_MISSING', `the receipt does not carry batch record ${input.batch}`);
    }
    const statement = parseJson(parseEnvelope(input.envelope).payload, 'batch record statement');
    const predicate = isObject(statement) && isObject(statement.predicate) ? statement.predicate : undefined;
    if (predicate === undefined || typeof predicate.model !== 'string') {
      throw new InputError('ERR_MALFORMED', 'the receipt\'s batch envelope is not an output-batch record');
    }
    const leaf = input instanceof BatchReceipt ? input.leaf : parseOutputLeaf(input.leafBytes);
    return { model: predicate.model, created: leaf.created, sha256: leaf.digest.sha256, batch: input.batch.toString() };
  }
  if ('sha256' in input && 'record' in input) {
    const verified = input as VerifiedOutput;
    return {
      model: verified.model,
      created: verified.created,
      sha256: verified.sha256,
      ...(verified.kind === 'output-batch' ? { batch: verified.record.id.toString() } : {}),
    };
  }
  const record = input as CreatedRecord<'output'> | OpenedRecord<'output'>;
  const p = record.statement.predicate;
  return { model: p.model, created: p.created, sha256: record.statement.subject[0]!.digest.sha256! };
}
