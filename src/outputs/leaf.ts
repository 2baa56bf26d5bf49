import { InputError } from '../lib/errors.js';
import { parseJson } from '../lib/json.js';
import {
  checkOutputParameters,
  mediaTypeSchema,
  OUTPUT_LEAF_TYPE,
  outputLeafSchema,
  type OutputLeaf,
  type PromptDigest,
} from '../records/schema/output.js';
import { checkSchema, FieldErrors } from '../records/schema/validate.js';

/** Largest output leaf accepted, in bytes (64 long string parameters fit). */
export const MAX_LEAF_BYTES = 512 * 1024;

/** What one output says about itself, shared by leaves and `output` records. */
export interface OutputClaims {
  /** RFC 3339 time the output was made. */
  created: string;
  /** SHA-256 of the content, lower-case hex. */
  sha256: string;
  mediaType: string;
  /** Size of the content in bytes. */
  size: number;
  /** RFC 8785 canonical JSON of the parameters (from `canonicalParameters`). */
  parametersJson: string;
  promptDigest?: PromptDigest;
}

const LEAF_PREFIX = `{"_type":${JSON.stringify(OUTPUT_LEAF_TYPE)},"created":"`;

/**
 * The canonical JSON of a prompt digest (keys in RFC 8785 order: alg, digest, keyId).
 * @internal
 */
export function promptDigestJson(p: PromptDigest): string {
  return `{"alg":"${p.alg}","digest":"${p.digest}","keyId":"${p.keyId}"}`;
}

/**
 * The bytes of an output leaf, written straight from validated claims: RFC
 * 8785 canonical JSON of `{ _type, created, digest: { sha256 }, mediaType,
 * parameters, promptDigest?, size }`, keys in code-unit order. Equal to
 * `canonicalJson(leaf)`; built by hand because it runs once per output.
 *
 * @param claims the output's claims (already validated)
 * @returns the leaf's canonical JSON text
 * @throws nothing
 * @example
 * ```ts
 * merkleLeafHash(outputLeafJson(claims))
 * ```
 */
export function outputLeafJson(claims: OutputClaims): string {
  // `created` comes from toISOString and `sha256` is hex: neither needs escaping.
  return (
    `${LEAF_PREFIX}${claims.created}","digest":{"sha256":"${claims.sha256}"},"mediaType":${JSON.stringify(claims.mediaType)},` +
    `"parameters":${claims.parametersJson},${claims.promptDigest ? `"promptDigest":${promptDigestJson(claims.promptDigest)},` : ''}"size":${claims.size}}`
  );
}

/**
 * Parse and validate the exact bytes of an output leaf (strict JSON: no
 * duplicate or `__proto__` keys; every field checked).
 *
 * @param bytes the leaf bytes, as carried in a receipt
 * @returns the leaf
 * @throws InputError `ERR_MALFORMED` (not JSON, or not a valid leaf; `details` of the cause list every bad field),
 *   `ERR_LIMIT_EXCEEDED` (larger than 512 KiB)
 * @example
 * ```ts
 * parseOutputLeaf(receipt.leafBytes).created
 * ```
 */
export function parseOutputLeaf(bytes: Uint8Array): OutputLeaf {
  const value = parseJson(bytes, 'output leaf', { maxBytes: MAX_LEAF_BYTES, maxDepth: 4 });
  const errors = new FieldErrors();
  checkSchema(outputLeafSchema, value, 'leaf', errors);
  if (errors.count === 0) checkOutputParameters((value as Record<string, Record<string, unknown>>).parameters!, 'leaf.parameters', errors);
  if (errors.count > 0) {
    const lines = errors.list.map((e) => `${e.path}: ${e.message}`);
    throw new InputError('ERR_MALFORMED', `the output leaf is invalid:\n  ${lines.join('\n  ')}`);
  }
  return value as unknown as OutputLeaf;
}

const MEDIA_TYPE = new RegExp(mediaTypeSchema.pattern, 'u');
const knownMediaTypes = new Set<string>();

/**
 * Whether `mediaType` is acceptable in an output (RFC 6838 type/subtype with
 * optional parameters, at most 256 characters). Answers are remembered for a
 * few hundred distinct types, since a server sends the same few.
 *
 * @internal
 */
export function isMediaType(mediaType: unknown): mediaType is string {
  if (typeof mediaType !== 'string') return false;
  if (knownMediaTypes.has(mediaType)) return true;
  if (mediaType.length > mediaTypeSchema.maxLength || !MEDIA_TYPE.test(mediaType)) return false;
  if (knownMediaTypes.size < 512) knownMediaTypes.add(mediaType);
  return true;
}
