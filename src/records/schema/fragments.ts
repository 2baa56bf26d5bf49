import type { Schema } from './types.js';

/**
 * Reusable pieces of predicate schemas. Each is a complete schema for one
 * field, so the published JSON Schema inlines it (no `$ref` to resolve).
 */

/** A SHA-256 digest as lower-case hex, the way in-toto digests are written. */
export const sha256Hex = {
  type: 'string',
  pattern: '^[0-9a-f]{64}$',
  patternHint: '64 lower-case hex digits',
} as const satisfies Schema;

/**
 * A provenant record id as text: CIDv1, codec `json`, sha2-256, base32. The
 * pattern is exact: a 5-byte prefix (`bagaaiera`), then 32 digest bytes, whose
 * last base32 character carries one bit.
 */
export const recordIdString = {
  type: 'string',
  pattern: '^bagaaiera[a-z2-7]{51}[aq]$',
  patternHint: 'a provenant record id (CIDv1 json sha2-256, base32 "bagaaiera...")',
} as const satisfies Schema;

/**
 * Text meant for people: non-empty, bounded, no control characters (so no
 * terminal escape sequences reach a verifier's screen).
 *
 * @param maxLength most code points
 * @param description the field's description
 * @returns the field schema
 * @throws nothing
 * @example
 * ```ts
 * const name = printableText(256, 'the dataset name');
 * ```
 */
export function printableText(maxLength: number, description: string): Schema {
  return {
    type: 'string',
    description,
    minLength: 1,
    maxLength,
    pattern: '^[^\\u0000-\\u001f\\u007f]*$',
    patternHint: 'text without control characters',
  };
}

/**
 * A short token such as a version or format name: no spaces or control characters.
 *
 * @param maxLength most code points
 * @param description the field's description
 * @returns the field schema
 * @throws nothing
 * @example
 * ```ts
 * const version = token(128, 'the dataset version');
 * ```
 */
export function token(maxLength: number, description: string): Schema {
  return {
    type: 'string',
    description,
    minLength: 1,
    maxLength,
    pattern: '^[^\\s\\u0000-\\u001f\\u007f]*$',
    patternHint: 'text without spaces or control characters',
  };
}

/**
 * A relative POSIX path that stays inside its root: not absolute, no drive
 * letter, no empty, `.` or `..` component, no backslash or NUL. The same rule
 * `assertContainedPath` applies to OMS resource names.
 */
export const relativePath = {
  type: 'string',
  minLength: 1,
  maxLength: 4096,
  pattern: '^(?![A-Za-z]:)(?!/)(?![\\s\\S]*//)(?![\\s\\S]*/$)(?!(?:[\\s\\S]*/)?\\.\\.?(?:/|$))[^\\\\\\u0000]+$',
  patternHint: 'a relative path inside the dataset (no "..", ".", empty component, leading "/" or backslash)',
} as const satisfies Schema;

/** A URI character our URI fields allow: no whitespace, controls or brackets. */
const URI_CHAR = '[^\\s\\u0000-\\u001f\\u007f\\[\\]';

/**
 * An absolute URI. Besides the `uri` format, the pattern keeps to the part of
 * RFC 3986 that every JSON Schema validator reads alike: no spaces or
 * controls, no IP-literal host (`[...]`, where validators differ on details
 * such as leading zeros in an embedded IPv4 address), an authority after
 * `//` that is well formed (one `@` at most, a numeric port: some validators
 * would otherwise read `//host:80a` as an empty authority and a path), and a
 * non-empty hier-part otherwise.
 *
 * @param description the field's description
 * @returns the field schema
 * @throws nothing
 * @example
 * ```ts
 * const source = uri('where the dataset came from');
 * ```
 */
export function uri(description: string): Schema {
  const authority = `//(?:${URI_CHAR}/?#@]*@)?${URI_CHAR}/?#@:]*(?::[0-9]*)?(?=[/?#]|$)`;
  return {
    type: 'string',
    description,
    format: 'uri',
    maxLength: 2048,
    pattern: `^[A-Za-z][A-Za-z0-9+.-]*:(?:${authority}|(?!//)(?![?#]|$))${URI_CHAR}]*$`,
    patternHint: 'an absolute URI without spaces, "[" or "]"',
  };
}

/**
 * An RFC 3339 timestamp. The pattern pins the shape (`T`, seconds, a `Z` or
 * `+hh:mm` offset) so that lenient validators that also accept `+0100` or a
 * space separator give the same answer as strict ones.
 *
 * @param description the field's description
 * @returns the field schema
 * @throws nothing
 * @example
 * ```ts
 * const castAt = dateTime('when the ballot was cast');
 * ```
 */
export function dateTime(description: string): Schema {
  return {
    type: 'string',
    description,
    format: 'date-time',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T([01]\\d|2[0-3]):[0-5]\\d:([0-5]\\d|60)(\\.\\d{1,9})?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)$',
    patternHint: 'an RFC 3339 timestamp such as 2025-01-31T12:00:00Z',
  };
}

/**
 * A list of record ids: unique, bounded.
 *
 * @param maxItems most ids
 * @param description the field's description
 * @returns the field schema
 * @throws nothing
 * @example
 * ```ts
 * const parents = recordIdList(64, 'ids of the parent model records');
 * ```
 */
export function recordIdList(maxItems: number, description: string): Schema {
  return { type: 'array', description, items: recordIdString, uniqueItems: true, maxItems };
}

/**
 * A file referenced by digest: its base name and SHA-256, and optionally its size.
 *
 * @param description the field's description
 * @returns the field schema
 * @throws nothing
 * @example
 * ```ts
 * const card = fileDigest('the model card');
 * ```
 */
export function fileDigest(description: string): Schema {
  return {
    type: 'object',
    description,
    required: ['name', 'sha256'],
    additionalProperties: false,
    properties: {
      name: printableText(255, 'the file name, without directories'),
      sha256: sha256Hex,
      size: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'size in bytes' },
    },
  };
}
