import { decode as decodeCbor } from 'cborg';
import { CID } from 'multiformats/cid';
import { parseEnvelope } from '../envelope/parse.js';
import { MAX_SIGNATURES, type Envelope } from '../envelope/types.js';
import { decodeBase64, encodeBase64, fromHex, toHex, utf8 } from '../lib/bytes.js';
import { InputError, ProvenantError } from '../lib/errors.js';
import { isObject, parseJson } from '../lib/json.js';
import { JSON_CODEC, parseRecordId } from '../records/id.js';
import { MAX_BATCH_SIZE, type OutputLeaf } from '../records/schema/output.js';
import { parseOutputLeaf } from './leaf.js';
import { HASH_BYTES, MerkleTree } from './merkle.js';

/** The `_type` of a receipt in its JSON form. */
export const RECEIPT_TYPE = 'https://provenant.dev/output-receipt/v1';
/** The version of the compact (CBOR) form, its key 0. */
export const RECEIPT_CBOR_VERSION = 1;
/** Largest encoded receipt accepted, in bytes. */
export const MAX_RECEIPT_BYTES = 1024 * 1024;
/** Longest audit path: a tree of `MAX_BATCH_SIZE` (2^24) leaves has paths of 24 hashes. */
export const MAX_PROOF_HASHES = 24;

/**
 * What a batched output gets back: enough to verify it offline with its
 * batch record alone. The leaf binds the content digest and the output's
 * metadata; the proof leads from the leaf to the batch's Merkle root; the
 * batch record (its envelope rides along unless left out) signs the root.
 */
export interface OutputReceipt {
  /** Id of the `output-batch` record whose root the proof reaches. */
  readonly batch: CID;
  /** The output's leaf index in the batch tree. */
  readonly index: number;
  /** The batch tree's size (its `count`). */
  readonly size: number;
  /** The exact leaf bytes: RFC 8785 canonical JSON of the output leaf. This is what is hashed. */
  readonly leafBytes: Uint8Array;
  /** The leaf, parsed from `leafBytes`. */
  readonly leaf: OutputLeaf;
  /** The RFC 6962 audit path, bottom-up (32-byte hashes; read-only: batch receipts share them). */
  readonly proof: readonly Uint8Array[];
  /** The batch record's DSSE envelope, when carried. */
  readonly envelope?: Envelope;
}

/** The JSON form of a receipt. */
export interface OutputReceiptJson {
  _type: typeof RECEIPT_TYPE;
  /** The batch record id, `bagaaiera...`. */
  batch: string;
  index: number;
  size: number;
  /** The exact leaf bytes, as text (the leaf's canonical JSON). */
  leaf: string;
  /** The audit path, lower-case hex. */
  proof: string[];
  /** The batch record's DSSE envelope. */
  envelope?: Envelope;
}

/** A receipt's encoding: JSON text, or compact CBOR (RFC 8949). */
export type ReceiptFormat = 'json' | 'cbor';

/** Options of {@link encodeReceipt}. */
export interface EncodeReceiptOptions {
  /** Carry the batch record's envelope (default true when the receipt has it): self-contained, ~1 KiB more. */
  envelope?: boolean;
}

/**
 * @internal The receipts this library makes. A batch signer's receipts keep
 * a reference to their batch's tree and take their audit path from it when
 * first read (closing a batch then costs no per-output path building), and
 * parse their leaf only if someone reads it.
 */
export class BatchReceipt implements OutputReceipt {
  #leafBytes: Uint8Array | undefined;
  readonly #leafText: string | undefined;
  #leaf: OutputLeaf | undefined;
  #proof: readonly Uint8Array[] | undefined;
  #tree: MerkleTree | undefined;

  constructor(
    readonly batch: CID,
    readonly index: number,
    readonly size: number,
    leaf: Uint8Array | string,
    proof: readonly Uint8Array[] | MerkleTree,
    readonly envelope: Envelope | undefined,
    parsed?: OutputLeaf,
  ) {
    if (proof instanceof MerkleTree) this.#tree = proof;
    else this.#proof = proof;
    if (typeof leaf === 'string') this.#leafText = leaf;
    else this.#leafBytes = leaf;
    this.#leaf = parsed;
  }

  /** @internal The leaf text, while its bytes have not been made (encoders write it straight into their output). */
  get unencodedLeaf(): string | undefined {
    return this.#leafBytes === undefined ? this.#leafText : undefined;
  }

  /** @internal The batch tree, while the proof has not been read (encoders copy the path straight from it). */
  get unreadTree(): MerkleTree | undefined {
    return this.#proof === undefined ? this.#tree : undefined;
  }

  /** The leaf bytes (a batch signer keeps the leaf as text and encodes it when first read). */
  get leafBytes(): Uint8Array {
    if (this.#leafBytes === undefined) {
      const bytes = Buffer.from(this.#leafText!, 'utf8');
      this.#leafBytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return this.#leafBytes;
  }

  get leaf(): OutputLeaf {
    return (this.#leaf ??= parseOutputLeaf(this.leafBytes));
  }

  get proof(): readonly Uint8Array[] {
    if (this.#proof === undefined) {
      this.#proof = this.#tree!.proofViews(this.index);
      this.#tree = undefined;
    }
    return this.#proof;
  }

  /** The JSON form, so `JSON.stringify(receipt)` writes a receipt {@link decodeReceipt} reads. */
  toJSON(): OutputReceiptJson {
    return receiptToJson(this);
  }
}

/**
 * The JSON form of a receipt (what `encodeReceipt(receipt, 'json')` writes).
 *
 * @param receipt the receipt
 * @param options whether to carry the batch envelope
 * @returns a JSON-ready object
 * @throws nothing
 * @example
 * ```ts
 * res.setHeader('content-type', 'application/json').end(JSON.stringify(receiptToJson(receipt)));
 * ```
 */
export function receiptToJson(receipt: OutputReceipt, options: EncodeReceiptOptions = {}): OutputReceiptJson {
  const withEnvelope = options.envelope ?? true;
  return {
    _type: RECEIPT_TYPE,
    batch: receipt.batch.toString(),
    index: receipt.index,
    size: receipt.size,
    leaf: new TextDecoder().decode(receipt.leafBytes),
    proof: receipt.proof.map((p) => toHex(p)),
    ...(withEnvelope && receipt.envelope ? { envelope: receipt.envelope } : {}),
  };
}

/**
 * Encode a receipt as JSON text or as compact CBOR.
 *
 * The CBOR form is a map with small integer keys: 0 version (1), 1 batch id
 * (binary CID), 2 index, 3 size, 4 leaf bytes, 5 proof (array of 32-byte
 * strings), 6 the batch envelope, optional, as `[payloadType, payload bytes,
 * [[keyid or null, signature bytes], ...]]`.
 *
 * @param receipt the receipt
 * @param format `json` (default) or `cbor`
 * @param options whether to carry the batch envelope
 * @returns the encoded bytes
 * @throws nothing for a receipt this library made or decoded
 * @example
 * ```ts
 * const compact = encodeReceipt(receipt, 'cbor');   // ~1.2 KiB with the envelope, ~0.7 KiB without
 * decodeReceipt(compact).batch.equals(receipt.batch) // true
 * ```
 */
export function encodeReceipt(receipt: OutputReceipt, format: ReceiptFormat = 'json', options: EncodeReceiptOptions = {}): Uint8Array {
  if (format === 'json') return utf8(JSON.stringify(receiptToJson(receipt, options)));
  if (format !== 'cbor') throw new TypeError(`"format" expected "json" or "cbor", got ${JSON.stringify(format)}`);
  const envelope = (options.envelope ?? true) ? receipt.envelope : undefined;
  return writeCbor(receipt, envelope ? cborEnvelope(envelope) : undefined);
}

interface CborEnvelope {
  payloadType: Uint8Array;
  payload: Uint8Array;
  signatures: { keyid: Uint8Array | null; sig: Uint8Array }[];
}

// The batch envelope is shared by every receipt of a batch: convert it once.
const cborEnvelopes = new WeakMap<Envelope, CborEnvelope>();

function cborEnvelope(envelope: Envelope): CborEnvelope {
  let converted = cborEnvelopes.get(envelope);
  if (converted === undefined) {
    converted = {
      payloadType: utf8(envelope.payloadType),
      payload: decodeBase64(envelope.payload) ?? new Uint8Array(0),
      signatures: envelope.signatures.map((s) => ({
        keyid: typeof s.keyid === 'string' && s.keyid !== '' ? utf8(s.keyid) : null,
        sig: decodeBase64(s.sig) ?? new Uint8Array(0),
      })),
    };
    cborEnvelopes.set(envelope, converted);
  }
  return converted;
}

/** The CBOR head of a 32-byte byte string. */
const BSTR_32 = new Uint8Array([0x58, 0x20]);

/** Bytes of a CBOR head (RFC 8949 section 3) for `value`: the shortest form, as deterministic encoding requires. */
function headSize(value: number): number {
  return value < 24 ? 1 : value < 0x100 ? 2 : value < 0x10000 ? 3 : 5;
}

/**
 * The compact form, written directly: a fixed layout of heads, small
 * integers, byte and text strings, in RFC 8949 deterministic encoding (the
 * same bytes cborg's `encode` gives; the tests compare them). Writing it by
 * hand keeps encoding a receipt far cheaper than signing one.
 */
function writeCbor(receipt: OutputReceipt, envelope: CborEnvelope | undefined): Uint8Array {
  const id = receipt.batch.bytes;
  // A batch signer's receipt is encoded from its leaf text and its batch's tree, and keeps nothing of it.
  const own = receipt instanceof BatchReceipt;
  const leafText = own ? receipt.unencodedLeaf : undefined;
  const leaf = leafText === undefined ? receipt.leafBytes : undefined;
  const leafLength = leafText === undefined ? leaf!.length : Buffer.byteLength(leafText, 'utf8');
  const tree = own ? receipt.unreadTree : undefined;
  const proof = tree === undefined ? receipt.proof : undefined;
  const proofLength = tree === undefined ? proof!.length : tree.proofLength(receipt.index);
  // Map head; keys 0 to 3 with the version, id, index and size.
  let size = 1 + 2 + 1 + headSize(id.length) + id.length + 1 + headSize(receipt.index) + 1 + headSize(receipt.size);
  size += 1 + headSize(leafLength) + leafLength + 1 + headSize(proofLength);
  if (proof === undefined) size += proofLength * (BSTR_32.length + HASH_BYTES);
  else for (const p of proof) size += headSize(p.length) + p.length;
  if (envelope) {
    size += 1 + 1 + headSize(envelope.payloadType.length) + envelope.payloadType.length + headSize(envelope.payload.length) + envelope.payload.length;
    size += headSize(envelope.signatures.length);
    for (const s of envelope.signatures) size += 1 + (s.keyid ? headSize(s.keyid.length) + s.keyid.length : 1) + headSize(s.sig.length) + s.sig.length;
  }
  // From Node's shared pool (no backing store of its own per receipt); every byte is written below.
  const pooled = Buffer.allocUnsafe(size);
  const out = new Uint8Array(pooled.buffer, pooled.byteOffset, size);
  let at = 0;
  const head = (major: number, value: number) => {
    const m = major << 5;
    if (value < 24) out[at++] = m | value;
    else if (value < 0x100) {
      out[at++] = m | 24;
      out[at++] = value;
    } else if (value < 0x10000) {
      out[at++] = m | 25;
      out[at++] = value >>> 8;
      out[at++] = value & 0xff;
    } else {
      out[at++] = m | 26;
      out[at++] = value >>> 24;
      out[at++] = (value >>> 16) & 0xff;
      out[at++] = (value >>> 8) & 0xff;
      out[at++] = value & 0xff;
    }
  };
  const bytes = (major: number, data: Uint8Array) => {
    head(major, data.length);
    out.set(data, at);
    at += data.length;
  };
  head(5, envelope ? 7 : 6);
  head(0, 0);
  head(0, RECEIPT_CBOR_VERSION);
  head(0, 1);
  bytes(2, id);
  head(0, 2);
  head(0, receipt.index);
  head(0, 3);
  head(0, receipt.size);
  head(0, 4);
  if (leaf !== undefined) bytes(2, leaf);
  else {
    head(2, leafLength);
    at += pooled.write(leafText!, at, leafLength, 'utf8');
  }
  head(0, 5);
  head(4, proofLength);
  if (proof !== undefined) for (const p of proof) bytes(2, p);
  else at = tree!.writeProof(receipt.index, out, at, BSTR_32);
  if (envelope) {
    head(0, 6);
    head(4, 3);
    bytes(3, envelope.payloadType);
    bytes(2, envelope.payload);
    head(4, envelope.signatures.length);
    for (const s of envelope.signatures) {
      head(4, 2);
      if (s.keyid) bytes(3, s.keyid);
      else out[at++] = 0xf6; // null
      bytes(2, s.sig);
    }
  }
  if (at !== size) throw new Error(`internal error: the compact receipt is ${at} bytes, ${size} were reserved`);
  return out;
}

function malformed(message: string, cause?: unknown): InputError {
  return new InputError('ERR_MALFORMED', `malformed output receipt: ${message}`, cause === undefined ? undefined : { cause });
}

function count(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw malformed(`${what}: expected an integer in [${min}, ${max}]`);
  }
  return value;
}

function batchId(value: string | Uint8Array): CID {
  let cid: CID;
  try {
    if (typeof value === 'string') return parseRecordId(value);
    cid = CID.decode(value);
  } catch (err) {
    throw malformed('batch: not a provenant record id', err);
  }
  // The checks parseRecordId makes, without a round trip through text.
  if (cid.version !== 1 || cid.code !== JSON_CODEC || cid.multihash.code !== 0x12 || cid.multihash.digest.length !== HASH_BYTES) {
    throw malformed('batch: not a provenant record id (expected CIDv1, codec json, sha2-256)');
  }
  return cid;
}

function leafOf(bytes: Uint8Array): OutputLeaf {
  try {
    return parseOutputLeaf(bytes);
  } catch (err) {
    if (err instanceof ProvenantError) throw malformed(`leaf: ${err.message}`, err);
    throw err;
  }
}

function envelopeOf(value: unknown): Envelope {
  try {
    return parseEnvelope(value).envelope;
  } catch (err) {
    if (err instanceof ProvenantError) throw malformed(`envelope: ${err.message}`, err);
    throw err;
  }
}

function assemble(batch: CID, index: number, size: number, leafBytes: Uint8Array, proof: Uint8Array[], envelope: Envelope | undefined): OutputReceipt {
  if (index >= size) throw malformed(`index ${index} is not inside a batch of ${size}`);
  return new BatchReceipt(batch, index, size, leafBytes, proof, envelope, leafOf(leafBytes));
}

const JSON_FIELDS = new Set(['_type', 'batch', 'index', 'size', 'leaf', 'proof', 'envelope']);

function fromJson(input: string | Uint8Array): OutputReceipt {
  const value = parseJson(input, 'output receipt', { maxBytes: MAX_RECEIPT_BYTES, maxDepth: 8 });
  if (!isObject(value)) throw malformed('expected a JSON object');
  for (const key of Object.keys(value)) if (!JSON_FIELDS.has(key)) throw malformed(`${JSON.stringify(key)} is not an allowed field`);
  if (value._type !== RECEIPT_TYPE) throw malformed(`_type: expected ${JSON.stringify(RECEIPT_TYPE)}`);
  if (typeof value.batch !== 'string') throw malformed('batch: expected a record id string');
  const batch = batchId(value.batch);
  const size = count(value.size, 'size', 1, MAX_BATCH_SIZE);
  const index = count(value.index, 'index', 0, MAX_BATCH_SIZE - 1);
  if (typeof value.leaf !== 'string') throw malformed('leaf: expected the leaf JSON as a string');
  if (!Array.isArray(value.proof) || value.proof.length > MAX_PROOF_HASHES) throw malformed(`proof: expected an array of at most ${MAX_PROOF_HASHES} hashes`);
  const proof = value.proof.map((p, i) => {
    const bytes = typeof p === 'string' && /^[0-9a-f]{64}$/.test(p) ? fromHex(p) : undefined;
    if (!bytes) throw malformed(`proof[${i}]: expected 64 lower-case hex digits`);
    return bytes;
  });
  const envelope = value.envelope === undefined ? undefined : envelopeOf(value.envelope);
  return assemble(batch, index, size, utf8(value.leaf), proof, envelope);
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function envelopeFromCbor(value: unknown): Envelope {
  if (!Array.isArray(value) || value.length !== 3) throw malformed('6 (envelope): expected [payloadType, payload, signatures]');
  const [payloadType, payload, signatures] = value as [unknown, unknown, unknown];
  if (typeof payloadType !== 'string' || !isBytes(payload) || !Array.isArray(signatures)) {
    throw malformed('6 (envelope): expected [text, bytes, array]');
  }
  if (signatures.length === 0 || signatures.length > MAX_SIGNATURES) {
    throw malformed(`6 (envelope): expected 1 to ${MAX_SIGNATURES} signatures, got ${signatures.length}`);
  }
  const sigs = signatures.map((s: unknown, i) => {
    if (!Array.isArray(s) || s.length !== 2 || !(s[0] === null || typeof s[0] === 'string') || !isBytes(s[1]) || s[1].length === 0) {
      throw malformed(`6 (envelope): signature ${i}: expected [keyid or null, non-empty bytes]`);
    }
    return { ...(s[0] === null ? {} : { keyid: s[0] as string }), sig: encodeBase64(s[1]) };
  });
  // Built from bytes, so the base64 is well formed by construction: this is
  // everything parseEnvelope would check (openRecord parses it again anyway).
  return { payload: encodeBase64(payload), payloadType, signatures: sigs };
}

const CBOR_OPTIONS = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  rejectDuplicateMapKeys: true,
  useMaps: true,
} as const;

function fromCbor(bytes: Uint8Array): OutputReceipt {
  let value: unknown;
  try {
    value = decodeCbor(bytes, CBOR_OPTIONS);
  } catch (err) {
    // cborg throws plain Errors (and a RangeError for absurd nesting): all mean "not a receipt".
    throw malformed(`not valid CBOR (${(err as Error)?.message ?? String(err)})`, err);
  }
  if (!(value instanceof Map)) throw malformed('expected a CBOR map');
  for (const key of value.keys()) {
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key > 6) throw malformed(`unknown key ${String(key)}`);
  }
  if (value.get(0) !== RECEIPT_CBOR_VERSION) throw malformed(`0 (version): expected ${RECEIPT_CBOR_VERSION}`);
  const id = value.get(1);
  if (!isBytes(id)) throw malformed('1 (batch): expected the binary record id');
  const batch = batchId(id);
  const index = count(value.get(2), '2 (index)', 0, MAX_BATCH_SIZE - 1);
  const size = count(value.get(3), '3 (size)', 1, MAX_BATCH_SIZE);
  const leaf = value.get(4);
  if (!isBytes(leaf)) throw malformed('4 (leaf): expected bytes');
  const path = value.get(5);
  if (!Array.isArray(path) || path.length > MAX_PROOF_HASHES) throw malformed(`5 (proof): expected an array of at most ${MAX_PROOF_HASHES} hashes`);
  const proof = path.map((p: unknown, i) => {
    if (!isBytes(p) || p.length !== HASH_BYTES) throw malformed(`5 (proof)[${i}]: expected ${HASH_BYTES} bytes`);
    return p;
  });
  const envelope = value.has(6) ? envelopeFromCbor(value.get(6)) : undefined;
  return assemble(batch, index, size, leaf, proof, envelope);
}

/**
 * Decode a receipt from its JSON or CBOR form (told apart by the first
 * byte: a JSON receipt is an object, a CBOR receipt a map). Decoding is
 * strict: unknown fields, duplicate keys, trailing bytes, a truncated value,
 * non-minimal CBOR integers, indefinite lengths, tags, an index outside the
 * batch, or a leaf that is not a valid output leaf are all refused. Nothing
 * is verified here: see `verifyOutputReceipt`.
 *
 * @param input the encoded receipt (bytes, or JSON text)
 * @returns the receipt
 * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED` (larger than 1 MiB)
 * @example
 * ```ts
 * const receipt = decodeReceipt(Buffer.from(req.headers['x-provenant-receipt'], 'base64'));
 * ```
 */
export function decodeReceipt(input: Uint8Array | string): OutputReceipt {
  if (typeof input === 'string') return fromJson(input);
  if (!(input instanceof Uint8Array)) throw new TypeError('"input" expected a Uint8Array or a string');
  if (input.length > MAX_RECEIPT_BYTES) {
    throw new InputError('ERR_LIMIT_EXCEEDED', `the output receipt is ${input.length} bytes, above the limit of ${MAX_RECEIPT_BYTES}`);
  }
  if (input.length === 0) throw malformed('empty input');
  // Copy: the receipt keeps views of the leaf and proof, which must not change under it.
  const bytes = new Uint8Array(input);
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09) i++;
  return bytes[i] === 0x7b ? fromJson(bytes) : fromCbor(bytes);
}
