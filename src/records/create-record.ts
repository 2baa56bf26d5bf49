import { utf8 } from '../lib/bytes.js';
import { InputError } from '../lib/errors.js';
import { canonicalJsonBytes, parseJson } from '../lib/json.js';
import type { Signer } from '../envelope/keys.js';
import { signEnvelope } from '../envelope/sign.js';
import { MAX_ENVELOPE_BYTES } from '../envelope/types.js';
import { recordId } from './id.js';
import { PREDICATE_TYPES } from './kinds.js';
import { IN_TOTO_PAYLOAD_TYPE } from './oms/bundle.js';
import { STATEMENT_TYPE } from './oms/statement.js';
import { validateStatement } from './statement.js';
import type { CreatedRecord, PredicateMap, ProvenantKind, Statement, StatementOf, Subject } from './types.js';

function tooLarge(kind: string, size: number, limit: number): InputError {
  return new InputError('ERR_LIMIT_EXCEEDED', `the ${kind} record's envelope would be ${size} bytes, above the limit of ${limit}; readers would refuse it`);
}

/** Input of {@link createRecord}. */
export interface CreateRecordInput<K extends ProvenantKind> {
  kind: K;
  /** The statement's subjects (usually one, see `sha256Subject`). */
  subject: readonly Subject[];
  predicate: PredicateMap[K];
  /** One or more signers; each adds a signature (M-of-N approval). */
  signers: readonly Signer[];
  /** Largest envelope to produce, in bytes (default 16 MiB, what `openRecord` accepts by default). */
  maxEnvelopeBytes?: number;
}

/**
 * Create a signed record: an in-toto Statement v1 with predicateType
 * `https://provenant.dev/<kind>/v1`, serialized as RFC 8785 canonical JSON
 * (so the same inputs give the same id) and signed into a DSSE envelope.
 * The statement is validated exactly as `openRecord` will validate it, from
 * the bytes about to be signed, so provenant never signs a record it would
 * refuse to read.
 *
 * @param input kind, subjects, predicate, signers
 * @returns the record id, envelope (object and bytes), payload and statement
 * @throws VerificationError `ERR_SCHEMA` (SchemaValidationError listing every bad field), `ERR_ROOT_DIGEST_MISMATCH`
 * @throws InputError `ERR_LIMIT_EXCEEDED` for too many subjects, or an envelope larger than readers accept
 * @throws TypeError without a signer, or for values JSON cannot hold
 * @example
 * ```ts
 * const record = await createRecord({
 *   kind: 'dataset',
 *   subject: [sha256Subject('tiny', rootHex)],
 *   predicate: { name: 'tiny', version: '1', files, rootDigest: rootHex },
 *   signers: [signer],
 * });
 * console.log(record.id.toString());
 * ```
 */
export async function createRecord<K extends ProvenantKind>(input: CreateRecordInput<K>): Promise<CreatedRecord<K>> {
  if (!Array.isArray(input.signers) || input.signers.length === 0) throw new TypeError('"signers" expected at least one signer');
  const statement: Statement<PredicateMap[K]> = {
    _type: STATEMENT_TYPE,
    subject: [...input.subject],
    predicateType: PREDICATE_TYPES[input.kind],
    predicate: input.predicate,
  };
  const payload = canonicalJsonBytes(statement);
  const maxBytes = input.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES;
  // Base64 alone makes the envelope 4/3 of the payload: refuse before asking anyone to sign.
  if (4 * Math.ceil(payload.length / 3) > maxBytes) throw tooLarge(input.kind, 4 * Math.ceil(payload.length / 3), maxBytes);
  const validated = validateStatement(parseJson(payload, `${input.kind} statement`, { maxBytes }), { kinds: [input.kind] });
  const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, input.signers);
  const envelopeBytes = utf8(JSON.stringify(envelope));
  if (envelopeBytes.length > maxBytes) throw tooLarge(input.kind, envelopeBytes.length, maxBytes);
  return {
    id: recordId(payload),
    kind: input.kind,
    envelope,
    envelopeBytes,
    payload,
    statement: validated.statement as StatementOf<K>,
  };
}
