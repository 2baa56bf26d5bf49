import { VerificationError } from '../../lib/errors.js';
import { canonicalJson, isObject } from '../../lib/json.js';
import { isDateTime, isUri } from './formats.js';
import type { FieldError, Schema, SchemaType } from './types.js';

/** Most field errors kept on one {@link SchemaValidationError} (the count is exact). */
export const MAX_FIELD_ERRORS = 100;

/**
 * A value did not match its schema. Every bad field is listed in `fields`
 * (and as `path: message` lines in `details`), not only the first.
 *
 * @example
 * ```ts
 * try { openRecord(bytes, { keys }) }
 * catch (err) {
 *   if (err instanceof SchemaValidationError) for (const f of err.fields) console.error(`${f.path}: ${f.message}`);
 * }
 * ```
 */
export class SchemaValidationError extends VerificationError {
  /** The bad fields, in document order (at most {@link MAX_FIELD_ERRORS}). */
  readonly fields: readonly FieldError[];
  /** How many bad fields there were, including any left out of `fields`. */
  readonly fieldCount: number;

  /**
   * @param what what was validated, for the message (e.g. `dataset predicate`)
   * @param fields the bad fields
   * @param fieldCount the total count, when more were found than kept
   */
  constructor(what: string, fields: readonly FieldError[], fieldCount = fields.length) {
    const lines = fields.map((f) => `${f.path}: ${f.message}`);
    const more = fieldCount > fields.length ? [`...and ${fieldCount - fields.length} more`] : [];
    super(
      'ERR_SCHEMA',
      `${what} is invalid (${fieldCount} ${fieldCount === 1 ? 'problem' : 'problems'}):\n  ${[...lines, ...more].join('\n  ')}`,
      { details: [...lines, ...more] },
    );
    this.fields = fields;
    this.fieldCount = fieldCount;
  }
}

/**
 * Collects field errors up to {@link MAX_FIELD_ERRORS} while counting all of
 * them, so a hostile value with a million bad items costs a counter, not a
 * million messages.
 *
 * @example
 * ```ts
 * const errors = new FieldErrors();
 * checkSchema(schema, value, 'predicate', errors);
 * errors.throwIfAny('dataset predicate');
 * ```
 */
export class FieldErrors {
  readonly list: FieldError[] = [];
  count = 0;

  /**
   * Record that the field at `path` is bad.
   * @param path where, e.g. `predicate.files[3].sha256`
   * @param message what is wrong, e.g. `expected 64 lower-case hex digits`
   */
  add(path: string, message: string): void {
    this.count++;
    if (this.list.length < MAX_FIELD_ERRORS) this.list.push({ path, message });
  }

  /**
   * Throw if anything was recorded.
   * @param what what was validated, for the message
   * @throws SchemaValidationError (`ERR_SCHEMA`) listing the fields
   */
  throwIfAny(what: string): void {
    if (this.count > 0) throw new SchemaValidationError(what, this.list, this.count);
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * The path of property `key` below `path`: `a.b`, or `a["odd key"]` when the
 * key is not an identifier (so hostile keys cannot forge a path).
 *
 * @param path the parent's path
 * @param key the property name
 * @returns the property's path
 * @throws nothing
 * @example
 * ```ts
 * propertyPath('predicate', 'files') // 'predicate.files'
 * propertyPath('predicate', 'a.b')   // 'predicate["a.b"]'
 * ```
 */
export function propertyPath(path: string, key: string): string {
  return IDENTIFIER.test(key) && key !== '__proto__' ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

const patternCache = new Map<string, RegExp>();

function compilePattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    // JSON Schema patterns are ECMA-262 regular expressions in unicode mode.
    re = new RegExp(pattern, 'u');
    patternCache.set(pattern, re);
  }
  return re;
}

function typeOf(value: unknown): SchemaType | 'other' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (isObject(value)) return 'object';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) ? 'integer' : Number.isFinite(value) ? 'number' : 'other';
    default:
      return 'other';
  }
}

const ARTICLE: Record<SchemaType, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
};

function matchesType(actual: SchemaType | 'other', wanted: SchemaType): boolean {
  return actual === wanted || (wanted === 'number' && actual === 'integer');
}

function describe(value: unknown): string {
  const t = typeOf(value);
  if (t === 'object' || t === 'array' || t === 'other') return t === 'other' ? typeof value : t;
  if (t === 'string') return (value as string).length > 40 ? 'a string' : JSON.stringify(value);
  return String(value);
}

/** Length in Unicode code points, as JSON Schema counts string length. */
function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Check `value` against `schema`, recording every bad field in `errors`.
 * Keywords that do not apply to the value's type are ignored, as in JSON
 * Schema; a value of the wrong type is reported once and not descended into.
 *
 * @param schema the schema
 * @param value the value (typically straight from `parseJson`)
 * @param path the value's path, used as the prefix of every error path
 * @param errors where problems are recorded
 * @returns nothing; problems are in `errors`
 * @throws nothing for bad values (a schema with an invalid `pattern` throws SyntaxError)
 * @example
 * ```ts
 * const errors = new FieldErrors();
 * checkSchema({ type: 'integer', minimum: 0 }, -1, 'predicate.size', errors);
 * errors.list // [{ path: 'predicate.size', message: 'expected at least 0, got -1' }]
 * ```
 */
export function checkSchema(schema: Schema, value: unknown, path: string, errors: FieldErrors): void {
  const actual = typeOf(value);
  if (schema.type !== undefined && !matchesType(actual, schema.type)) {
    errors.add(path, `expected ${ARTICLE[schema.type]}, got ${describe(value)}`);
    return;
  }
  if (schema.const !== undefined && value !== schema.const) {
    errors.add(path, `expected ${JSON.stringify(schema.const)}, got ${describe(value)}`);
  }
  if (schema.enum !== undefined && !schema.enum.some((v) => v === value)) {
    errors.add(path, `expected one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`);
  }
  switch (actual) {
    case 'string':
      checkString(schema, value as string, path, errors);
      break;
    case 'integer':
    case 'number':
      if (schema.minimum !== undefined && (value as number) < schema.minimum) errors.add(path, `expected at least ${schema.minimum}, got ${value}`);
      if (schema.maximum !== undefined && (value as number) > schema.maximum) errors.add(path, `expected at most ${schema.maximum}, got ${value}`);
      break;
    case 'array':
      checkArray(schema, value as unknown[], path, errors);
      break;
    case 'object':
      checkObject(schema, value as Record<string, unknown>, path, errors);
      break;
    default:
      break;
  }
}

function checkString(schema: Schema, value: string, path: string, errors: FieldErrors): void {
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    const length = codePointLength(value);
    if (schema.minLength !== undefined && length < schema.minLength) {
      errors.add(path, schema.minLength === 1 ? 'expected a non-empty string' : `expected at least ${plural(schema.minLength, 'character')}, got ${length}`);
    }
    if (schema.maxLength !== undefined && length > schema.maxLength) {
      errors.add(path, `expected at most ${plural(schema.maxLength, 'character')}, got ${length}`);
    }
  }
  if (schema.pattern !== undefined && !compilePattern(schema.pattern).test(value)) {
    errors.add(path, schema.patternHint !== undefined ? `expected ${schema.patternHint}` : `expected a string matching /${schema.pattern}/`);
    // The pattern's message already says what the value should look like.
    return;
  }
  if (schema.format === 'date-time' && !isDateTime(value)) errors.add(path, 'expected an RFC 3339 date-time');
  if (schema.format === 'uri' && !isUri(value)) errors.add(path, 'expected an absolute URI (RFC 3986)');
}

function checkArray(schema: Schema, value: unknown[], path: string, errors: FieldErrors): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    errors.add(path, schema.minItems === 1 ? 'expected at least one item' : `expected at least ${plural(schema.minItems, 'item')}, got ${value.length}`);
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    errors.add(path, `expected at most ${plural(schema.maxItems, 'item')}, got ${value.length}`);
  }
  if (schema.uniqueItems === true) {
    const itemType = schema.items?.type;
    const seen = new Map<string, number>();
    for (let i = 0; i < value.length; i++) {
      // Items of the wrong type are reported by `items`; repeating them adds nothing (ajv skips them too).
      if (itemType !== undefined && !matchesType(typeOf(value[i]), itemType)) continue;
      const key = canonicalJson(value[i]);
      const first = seen.get(key);
      if (first !== undefined) {
        errors.add(path, `items ${first} and ${i} are equal; expected unique items`);
        break;
      }
      seen.set(key, i);
    }
  }
  if (schema.items !== undefined) {
    for (let i = 0; i < value.length; i++) checkSchema(schema.items, value[i], `${path}[${i}]`, errors);
  }
}

function checkObject(schema: Schema, value: Record<string, unknown>, path: string, errors: FieldErrors): void {
  const properties = schema.properties ?? {};
  for (const name of schema.required ?? []) {
    if (!Object.hasOwn(value, name)) errors.add(propertyPath(path, name), 'is required');
  }
  for (const key of Object.keys(value)) {
    const sub = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (sub !== undefined) checkSchema(sub, value[key], propertyPath(path, key), errors);
    else if (schema.additionalProperties === false) errors.add(propertyPath(path, key), 'is not an allowed field');
  }
}

/**
 * Validate `value` against `schema` and throw if anything is wrong, listing
 * every bad field path.
 *
 * @param schema the schema
 * @param value the value to check
 * @param path the root path used in messages (e.g. `predicate`)
 * @param what what the value is, for the message (e.g. `dataset predicate`)
 * @returns nothing when the value is valid
 * @throws SchemaValidationError (a VerificationError, code `ERR_SCHEMA`) with `fields`
 * @example
 * ```ts
 * validateSchema(datasetPredicateSchema, predicate, 'predicate', 'dataset predicate');
 * ```
 */
export function validateSchema(schema: Schema, value: unknown, path: string, what: string): void {
  const errors = new FieldErrors();
  checkSchema(schema, value, path, errors);
  errors.throwIfAny(what);
}
