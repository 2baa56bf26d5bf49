/**
 * The provenant assertion: an output's receipt carried inside a C2PA
 * manifest, so a reader of the image (or text) can continue from the
 * credential into the model record, its datasets and its governance.
 *
 * The assertion (label `dev.provenant.output`, CBOR like any C2PA assertion)
 * holds the ids a reader routes on, and the exact receipt bytes those ids
 * come from: the `output` record's DSSE envelope, or a batch receipt (CBOR,
 * with its batch record's envelope). Readers re-derive every field from the
 * receipt bytes and report any difference; the fields are a convenience for
 * C2PA tools that do not know provenant.
 */
import {
  decodeReceipt,
  encodeReceipt,
  IN_TOTO_PAYLOAD_TYPE,
  InputError,
  outputOrigin,
  parseEnvelope,
  parseJson,
  recordId,
  validateStatement,
  type CreatedRecord,
  type Envelope,
  type OpenedRecord,
  type OutputReceipt,
} from 'provenant';

/** Label of the provenant assertion in a C2PA manifest. */
export const OUTPUT_ASSERTION_LABEL = 'dev.provenant.output';

/**
 * A receipt to embed: an `output` record (as `createOutputSigner` in single
 * mode returns it), a batch receipt, or the bytes of either (a record's DSSE
 * envelope JSON; a receipt's JSON or CBOR encoding).
 */
export type ReceiptInput = CreatedRecord<'output'> | OpenedRecord<'output'> | OutputReceipt | Envelope | Uint8Array | string;

/** What the provenant assertion says about an output. */
export interface OutputCredential {
  /** `output` for a single output record, `output-batch` for a batch receipt. */
  kind: 'output' | 'output-batch';
  /** Id of the `output` record (single outputs). */
  output?: string;
  /** Id of the `output-batch` record and the output's index in it (batched outputs). */
  batch?: string;
  index?: number;
  /** Id of the `model` record of the model that made the output. */
  model: string;
  /** When the output was made (RFC 3339). */
  created: string;
  /** SHA-256 (hex) of the output as generated: the content the record signs, before credentials were embedded. */
  contentSha256: string;
  /** Media type and size of the output as generated. */
  mediaType: string;
  size: number;
  /** The exact receipt: the output record's DSSE envelope (JSON), or the batch receipt (CBOR). */
  receipt: Uint8Array;
}

const utf8 = new TextEncoder();

function fromEnvelope(bytes: Uint8Array): OutputCredential {
  const parsed = parseEnvelope(bytes);
  if (parsed.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new InputError('ERR_MALFORMED', `the receipt envelope has payloadType ${JSON.stringify(parsed.payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  const { statement } = validateStatement(parseJson(parsed.payload, 'output record statement'), { kinds: ['output'] });
  return {
    kind: 'output',
    output: recordId(parsed.payload).toString(),
    model: statement.predicate.model,
    created: statement.predicate.created,
    contentSha256: statement.subject[0]!.digest.sha256!,
    mediaType: statement.predicate.mediaType,
    size: statement.predicate.size,
    receipt: bytes,
  };
}

function fromReceipt(receipt: OutputReceipt): OutputCredential {
  const origin = outputOrigin(receipt);
  const leaf = receipt.leaf;
  return {
    kind: 'output-batch',
    batch: receipt.batch.toString(),
    index: receipt.index,
    model: origin.model,
    created: leaf.created,
    contentSha256: leaf.digest.sha256,
    mediaType: leaf.mediaType,
    size: leaf.size,
    receipt: encodeReceipt(receipt, 'cbor'),
  };
}

function looksLikeEnvelope(bytes: Uint8Array): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, 4096));
  } catch {
    return false;
  }
  return /^\s*\{/.test(text) && text.includes('"payloadType"');
}

/**
 * Read a receipt in any of its forms into what the provenant assertion
 * carries. Nothing is verified here (no keys are involved): readers verify
 * the receipt with the output signer's key.
 *
 * @param input an output record, a batch receipt, or the bytes of either
 * @returns the credential: ids, time, content digest and the exact receipt bytes
 * @throws InputError `ERR_MALFORMED` (not a receipt or output record), `ERR_LIMIT_EXCEEDED`
 * @throws VerificationError `ERR_PREDICATE_TYPE` / `ERR_SCHEMA` (an envelope that is not a valid output record),
 *   `ERR_LINK_MISSING` (a batch receipt that does not carry its batch record)
 * @example
 * ```ts
 * const credential = outputCredential(await outputs.sign({ content: png, mediaType: 'image/png' }));
 * ```
 */
export function outputCredential(input: ReceiptInput): OutputCredential {
  if (typeof input === 'string') return outputCredential(utf8.encode(input));
  if (input instanceof Uint8Array) {
    const bytes = new Uint8Array(input);
    return looksLikeEnvelope(bytes) ? fromEnvelope(bytes) : fromReceipt(decodeReceipt(bytes));
  }
  if (typeof input !== 'object' || input === null) throw new TypeError('"receipt" expected an output record, a receipt, or the bytes of either');
  if ('leafBytes' in input && 'proof' in input) return fromReceipt(input);
  if ('envelopeBytes' in input && input.envelopeBytes instanceof Uint8Array) return fromEnvelope(new Uint8Array(input.envelopeBytes));
  if ('envelope' in input && typeof input.envelope === 'object') return fromEnvelope(utf8.encode(JSON.stringify(input.envelope)));
  if ('payloadType' in input && 'payload' in input) return fromEnvelope(utf8.encode(JSON.stringify(input)));
  throw new TypeError('"receipt" expected an output record, a receipt, or the bytes of either');
}

/** The assertion's data, as the engine takes it (JSON; the receipt as base64). */
export function outputAssertionData(credential: OutputCredential): Record<string, unknown> {
  return {
    kind: credential.kind,
    ...(credential.output !== undefined ? { output: credential.output } : {}),
    ...(credential.batch !== undefined ? { batch: credential.batch, index: credential.index } : {}),
    model: credential.model,
    created: credential.created,
    contentSha256: credential.contentSha256,
    mediaType: credential.mediaType,
    size: credential.size,
    receiptFormat: credential.kind === 'output' ? 'dsse+json' : 'provenant-receipt+cbor',
    receipt: Buffer.from(credential.receipt).toString('base64'),
  };
}

/** A provenant assertion as read back: the credential re-derived from its receipt, and any field that disagrees. */
export interface ReadOutputCredential extends OutputCredential {
  /** Fields of the assertion that differ from what its receipt says (empty when consistent). */
  problems: string[];
}

function receiptBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b < 256)) return Uint8Array.from(value as number[]);
  if (typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value)) return new Uint8Array(Buffer.from(value, 'base64'));
  return undefined;
}

/**
 * Parse the data of a provenant assertion (as the engine reports it, or as
 * decoded from CBOR): the receipt is decoded and every field re-derived
 * from it; fields that disagree are listed in `problems`.
 *
 * @param data the assertion's data
 * @returns the credential
 * @throws InputError `ERR_MALFORMED` when there is no decodable receipt
 */
export function parseOutputAssertion(data: unknown): ReadOutputCredential {
  if (typeof data !== 'object' || data === null) throw new InputError('ERR_MALFORMED', 'the provenant assertion is not a map');
  const fields = data as Record<string, unknown>;
  const bytes = receiptBytes(fields.receipt);
  if (!bytes) throw new InputError('ERR_MALFORMED', 'the provenant assertion carries no receipt');
  const credential = outputCredential(bytes);
  const problems: string[] = [];
  for (const key of ['kind', 'output', 'batch', 'index', 'model', 'created', 'contentSha256', 'mediaType', 'size'] as const) {
    if (fields[key] !== undefined && fields[key] !== credential[key]) {
      problems.push(`${key}: the assertion says ${JSON.stringify(fields[key])}, its receipt ${JSON.stringify(credential[key] ?? null)}`);
    }
  }
  return { ...credential, problems };
}
