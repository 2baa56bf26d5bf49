import { bytesEqual, decodeBase64, fromHex, toHex } from '../lib/bytes.js';
import { InputError, VerificationError } from '../lib/errors.js';
import { isObject, parseJson } from '../lib/json.js';
import { rootDigestOf } from '../digest/model.js';
import { KIND_RULES, kindOfPredicateType, PREDICATE_TYPES } from './kinds.js';
import { parseOmsStatement, STATEMENT_TYPE } from './oms/statement.js';
import { checkSchema, FieldErrors, propertyPath } from './schema/validate.js';
import type { PredicateMap, ProvenantKind, RecordKind, StatementOf, Subject } from './types.js';

/** Most subjects one statement may name by default. */
export const MAX_SUBJECTS = 1024;

/** Most digest algorithms one subject may list. */
const MAX_DIGESTS = 16;

/**
 * Hex lengths of the digest algorithms in-toto names. A listed algorithm must
 * have lower-case hex of one of these lengths; others need a non-empty string
 * (in-toto allows custom encodings for algorithms it does not define).
 */
const DIGEST_HEX_LENGTHS: ReadonlyMap<string, readonly number[]> = new Map([
  ['md5', [32]],
  ['sha1', [40]],
  ['sha224', [56]],
  ['sha256', [64]],
  ['sha384', [96]],
  ['sha512', [128]],
  ['sha512_224', [56]],
  ['sha512_256', [64]],
  ['sha3_224', [56]],
  ['sha3_256', [64]],
  ['sha3_384', [96]],
  ['sha3_512', [128]],
  ['blake2b', [128]],
  ['blake2s', [64]],
  ['ripemd160', [40]],
  ['sm3', [64]],
  ['gost', [64]],
  ['gitCommit', [40, 64]],
  ['gitTree', [40, 64]],
  ['gitBlob', [40, 64]],
  ['gitTag', [40, 64]],
]);

const SUBJECT_STRING_FIELDS = ['name', 'uri', 'downloadLocation', 'mediaType'] as const;
const SUBJECT_FIELDS = new Set<string>([...SUBJECT_STRING_FIELDS, 'digest', 'content', 'annotations']);
const STATEMENT_FIELDS = new Set(['_type', 'subject', 'predicateType', 'predicate']);
const MAX_SUBJECT_STRING = 4096;

function checkSubject(value: unknown, path: string, errors: FieldErrors): void {
  if (!isObject(value)) {
    errors.add(path, 'expected an object');
    return;
  }
  for (const key of Object.keys(value)) {
    if (!SUBJECT_FIELDS.has(key)) errors.add(propertyPath(path, key), 'is not an allowed field');
  }
  for (const field of SUBJECT_STRING_FIELDS) {
    const v = value[field];
    if (v === undefined) continue;
    if (typeof v !== 'string') errors.add(`${path}.${field}`, 'expected a string');
    else if (v.length > MAX_SUBJECT_STRING) errors.add(`${path}.${field}`, `expected at most ${MAX_SUBJECT_STRING} characters`);
  }
  if (value.content !== undefined && (typeof value.content !== 'string' || !decodeBase64(value.content))) {
    errors.add(`${path}.content`, 'expected base64');
  }
  if (value.annotations !== undefined && !isObject(value.annotations)) errors.add(`${path}.annotations`, 'expected an object');
  const digest = value.digest;
  if (digest === undefined) {
    errors.add(`${path}.digest`, 'is required');
    return;
  }
  if (!isObject(digest)) {
    errors.add(`${path}.digest`, 'expected an object of algorithm: digest');
    return;
  }
  const algorithms = Object.keys(digest);
  if (algorithms.length === 0) errors.add(`${path}.digest`, 'expected at least one digest');
  if (algorithms.length > MAX_DIGESTS) errors.add(`${path}.digest`, `expected at most ${MAX_DIGESTS} digests`);
  for (const alg of algorithms) {
    const d = digest[alg];
    const at = propertyPath(`${path}.digest`, alg);
    const lengths = DIGEST_HEX_LENGTHS.get(alg);
    if (typeof d !== 'string' || d.length === 0) errors.add(at, 'expected a non-empty string');
    else if (lengths && !(lengths.includes(d.length) && /^[0-9a-f]*$/.test(d))) {
      errors.add(at, `expected ${lengths.join(' or ')} lower-case hex digits`);
    } else if (d.length > MAX_SUBJECT_STRING) errors.add(at, `expected at most ${MAX_SUBJECT_STRING} characters`);
  }
}

/**
 * Check the in-toto Statement v1 envelope fields (`_type`, `subject`,
 * `predicateType`, `predicate` present, nothing else), recording every bad
 * field. Subjects are ResourceDescriptors that must carry a digest; digests
 * of algorithms in-toto defines must be lower-case hex of the right length.
 *
 * @param value a parsed statement
 * @param errors where problems are recorded
 * @param maxSubjects most subjects accepted
 * @returns nothing; problems are in `errors`
 * @throws InputError `ERR_LIMIT_EXCEEDED` when there are more than `maxSubjects` subjects
 * @example
 * ```ts
 * const errors = new FieldErrors();
 * checkStatementFields(parseJson(payload), errors);
 * errors.throwIfAny('statement');
 * ```
 */
export function checkStatementFields(value: Record<string, unknown>, errors: FieldErrors, maxSubjects = MAX_SUBJECTS): void {
  for (const key of Object.keys(value)) {
    if (!STATEMENT_FIELDS.has(key)) errors.add(propertyPath('', key).replace(/^\./, ''), 'is not an allowed field');
  }
  if (value._type !== STATEMENT_TYPE) errors.add('_type', `expected ${JSON.stringify(STATEMENT_TYPE)}`);
  if (typeof value.predicateType !== 'string' || value.predicateType === '') errors.add('predicateType', 'expected a non-empty string');
  if (!Object.hasOwn(value, 'predicate')) errors.add('predicate', 'is required');
  const subject = value.subject;
  if (!Array.isArray(subject)) {
    errors.add('subject', 'expected an array');
    return;
  }
  if (subject.length === 0) errors.add('subject', 'expected at least one subject');
  if (subject.length > maxSubjects) {
    throw new InputError('ERR_LIMIT_EXCEEDED', `the statement has ${subject.length} subjects, above the limit of ${maxSubjects}`);
  }
  subject.forEach((s, i) => checkSubject(s, `subject[${i}]`, errors));
}

/** Options of {@link validateStatement}. */
export interface ValidateStatementOptions<K extends RecordKind = RecordKind> {
  /** Accept only these kinds (default: every kind provenant knows). */
  kinds?: readonly K[];
  /** Most subjects accepted (default 1024). */
  maxSubjects?: number;
}

/** A statement that passed {@link validateStatement}. */
export type ValidatedStatement<K extends RecordKind = RecordKind> = {
  [Kind in K]: { kind: Kind; statement: StatementOf<Kind>; predicate: PredicateMap[Kind] };
}[K];

function describeKinds(kinds: readonly RecordKind[]): string {
  return kinds.map((k) => `${k} (${PREDICATE_TYPES[k]})`).join(', ');
}

/**
 * Validate a parsed statement as a record of a known kind: the in-toto
 * fields, then the predicate against its kind's schema (every bad field path
 * listed at once), then the rules across fields and digests. The OMS weights
 * kind is validated by `parseOmsStatement`. Unknown predicate types are
 * refused (fail closed).
 *
 * @param value the statement, parsed from the exact signed bytes
 * @param options kinds to accept, subject limit
 * @returns the kind, the statement and its predicate
 * @throws VerificationError `ERR_STATEMENT_INVALID` (not a statement), `ERR_PREDICATE_TYPE`,
 *   `ERR_SCHEMA` (a SchemaValidationError with `fields`), `ERR_ROOT_DIGEST_MISMATCH`
 * @throws InputError `ERR_LIMIT_EXCEEDED` (too many subjects), `ERR_PATH_ESCAPE` (OMS resource names)
 * @example
 * ```ts
 * const { kind, predicate } = validateStatement(parseJson(payload), { kinds: ['dataset'] });
 * ```
 */
export function validateStatement<K extends RecordKind = RecordKind>(
  value: unknown,
  options: ValidateStatementOptions<K> = {},
): ValidatedStatement<K> {
  if (!isObject(value)) throw new VerificationError('ERR_STATEMENT_INVALID', 'the statement is not a JSON object');
  if (value._type !== STATEMENT_TYPE) {
    throw new VerificationError('ERR_STATEMENT_INVALID', `_type is ${JSON.stringify(value._type)}, expected ${STATEMENT_TYPE}`);
  }
  const kind = kindOfPredicateType(value.predicateType);
  const accepted: readonly RecordKind[] = options.kinds ?? (Object.keys(PREDICATE_TYPES) as RecordKind[]);
  if (kind === undefined || !accepted.includes(kind)) {
    throw new VerificationError(
      'ERR_PREDICATE_TYPE',
      `predicateType ${JSON.stringify(value.predicateType)} is ${kind === undefined ? 'unknown' : `a ${kind} record`}; expected ${describeKinds(accepted)}`,
    );
  }
  const maxSubjects = options.maxSubjects ?? MAX_SUBJECTS;
  if (Array.isArray(value.subject) && value.subject.length > maxSubjects) {
    throw new InputError('ERR_LIMIT_EXCEEDED', `the statement has ${value.subject.length} subjects, above the limit of ${maxSubjects}`);
  }
  if (kind === 'weights') {
    const oms = parseOmsStatement(value);
    const root = rootDigestOf(oms.resources.map((r) => r.digest));
    if (!bytesEqual(root, oms.rootDigest)) {
      throw new VerificationError(
        'ERR_ROOT_DIGEST_MISMATCH',
        `the weights subject digest ${toHex(oms.rootDigest)} is not the digest of its resources (${toHex(root)})`,
      );
    }
    const statement = value as unknown as StatementOf<'weights'>;
    return { kind, statement, predicate: statement.predicate } as ValidatedStatement<K>;
  }
  const rules = KIND_RULES[kind];
  const errors = new FieldErrors();
  checkStatementFields(value, errors, maxSubjects);
  if (Object.hasOwn(value, 'predicate')) checkSchema(rules.schema, value.predicate, 'predicate', errors);
  const statement = value as unknown as StatementOf<ProvenantKind>;
  // Cross-field rules assume every field has the right shape.
  if (errors.count === 0) (rules.checkFields as (s: typeof statement, e: FieldErrors) => void)(statement, errors);
  errors.throwIfAny(`${kind} record`);
  (rules.checkDigests as (s: typeof statement) => void)(statement);
  return { kind, statement, predicate: statement.predicate } as ValidatedStatement<K>;
}

/**
 * The subject provenant writes for our kinds: one name and a SHA-256 digest.
 *
 * @param name the subject name
 * @param sha256 the 32-byte digest, or its lower-case hex
 * @returns the subject
 * @throws RangeError when the digest is not 32 bytes / 64 hex digits
 * @example
 * ```ts
 * sha256Subject('imagenet-mini', manifest.rootDigest)
 * ```
 */
export function sha256Subject(name: string, sha256: Uint8Array | string): Subject {
  const hex = typeof sha256 === 'string' ? sha256 : toHex(sha256);
  if (!/^[0-9a-f]{64}$/.test(hex) || fromHex(hex)?.length !== 32) {
    throw new RangeError(`"sha256" expected 32 bytes or 64 lower-case hex digits, got ${JSON.stringify(hex.slice(0, 80))}`);
  }
  return { name, digest: { sha256: hex } };
}

/**
 * The ids of the records a validated statement links to: for a model, its
 * weights, datasets, parents and approvals; for a dataset, its approvals; a
 * weights (OMS) record links to nothing.
 *
 * @param validated the output of {@link validateStatement}
 * @returns the linked record ids, as strings, in predicate order
 * @example
 * ```ts
 * recordLinks(validateStatement(parseJson(payload))) // ['bagaaiera...', ...]
 * ```
 */
export function recordLinks(validated: ValidatedStatement): string[] {
  if (validated.kind === 'weights') return [];
  const rules = KIND_RULES[validated.kind];
  return (rules.links as (s: StatementOf<ProvenantKind>) => string[])(validated.statement as StatementOf<ProvenantKind>);
}

/** Statements already validated, by the exact payload bytes they were parsed from (a store hands out the same bytes again). */
const validatedPayloads = new WeakMap<Uint8Array, ValidatedStatement>();

/**
 * Parse the exact signed payload bytes (strict JSON) and validate the
 * statement as a record of a known kind, remembering the result for these
 * bytes: when a verification meets the same stored record twice (the
 * governance index and the chain walk, say), the work is done once. Only
 * successes are remembered; the bytes must not be changed afterwards
 * (records from a store are never written to).
 *
 * @param payload the exact payload bytes
 * @param what what the payload is, for messages
 * @returns the kind, the statement and its predicate
 * @throws InputError `ERR_MALFORMED`, `ERR_LIMIT_EXCEEDED` (from parsing)
 * @throws VerificationError as {@link validateStatement}
 * @example
 * ```ts
 * const { kind } = validatePayload(stored.payload);
 * ```
 */
export function validatePayload(payload: Uint8Array, what = 'record statement'): ValidatedStatement {
  const cached = validatedPayloads.get(payload);
  if (cached) return cached;
  const validated = validateStatement(parseJson(payload, what));
  validatedPayloads.set(payload, validated);
  return validated;
}
