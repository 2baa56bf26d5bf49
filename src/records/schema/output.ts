import { dateTime, recordIdString, sha256Hex } from './fragments.js';
import type { Schema } from './types.js';
import { propertyPath, type FieldErrors } from './validate.js';

/** Most generation parameters one output names. */
export const MAX_OUTPUT_PARAMETERS = 64;
/** Longest parameter name, in UTF-16 code units (as a governance `set-parameter` names it: a token of up to 128). */
export const MAX_PARAMETER_NAME = 128;
/** Longest string parameter value, in UTF-16 code units. */
export const MAX_PARAMETER_STRING = 1024;
/**
 * Most outputs one batch (one Merkle tree) holds. It keeps leaf indexes and
 * tree sizes well inside the 32-bit range JavaScript's bit operators handle,
 * and audit paths at 24 hashes at most.
 */
export const MAX_BATCH_SIZE = 1 << 24;
/** The tree hash of an `output-batch` record: RFC 6962 section 2.1 Merkle Tree Hash with SHA-256. */
export const MERKLE_TREE_ALG = 'rfc6962-sha256';
/** The `_type` of an output leaf: what the leaves of an `output-batch` tree are made of. */
export const OUTPUT_LEAF_TYPE = 'https://provenant.dev/output-leaf/v1';
/** The subject name of an `output-batch` record (its digest is the Merkle root). */
export const BATCH_SUBJECT_NAME = 'merkle-root';

/** A generation parameter's value. */
export type ParameterValue = string | number | boolean;

/** Generation parameters: name to value (`temperature`, `top_p`, `max_tokens`, `seed`, ...). */
export interface OutputParameters {
  [name: string]: ParameterValue;
}

/**
 * A prompt digest that cannot be reversed by guessing: HMAC-SHA256 of the
 * prompt under a per-deployment secret. `keyId` names the secret without
 * revealing it, so a verifier who holds it knows which one to use.
 */
export interface PromptDigest {
  alg: 'hmac-sha256';
  /** First 16 hex digits of SHA-256 over a domain prefix and the secret (see `promptKeyId`). */
  keyId: string;
  /** HMAC-SHA256(secret, prompt bytes), lower-case hex. */
  digest: string;
}

/** The predicate of an `output` record (`https://provenant.dev/output/v1`); the subject is the output's content (sha256 of its exact bytes). */
export interface OutputPredicate {
  /** Id of the `model` record of the model that produced the output. */
  model: string;
  /** When the output was made (RFC 3339). */
  created: string;
  /** Media type of the content, e.g. `text/plain; charset=utf-8`. */
  mediaType: string;
  /** Size of the content in bytes. */
  size: number;
  /** The generation parameters. */
  parameters: OutputParameters;
  /** The salted digest of the prompt, when the signer was given a secret and a prompt. */
  promptDigest?: PromptDigest;
}

/** The time span of the outputs one batch holds. */
export interface BatchWindow {
  /** `created` of the earliest output in the batch. */
  start: string;
  /** `created` of the latest output in the batch. */
  end: string;
}

/**
 * The predicate of an `output-batch` record (`https://provenant.dev/output-batch/v1`):
 * one signature over the RFC 6962 Merkle root (the subject `merkle-root`) of
 * `count` output leaves.
 */
export interface OutputBatchPredicate {
  /** Id of the `model` record of the model that produced every output in the batch. */
  model: string;
  /** When the batch was signed (RFC 3339). */
  created: string;
  /** Number of leaves: the tree size every receipt's proof is for. */
  count: number;
  /** `rfc6962-sha256`. */
  treeAlg: typeof MERKLE_TREE_ALG;
  /** `https://provenant.dev/output-leaf/v1`: what each leaf is. */
  leafType: typeof OUTPUT_LEAF_TYPE;
  /** The span of the outputs' `created` times. */
  window: BatchWindow;
}

/**
 * One output as a leaf of a batch tree. Its bytes are the RFC 8785 canonical
 * JSON of this object, so the receipt binds the metadata, not only the content.
 */
export interface OutputLeaf {
  _type: typeof OUTPUT_LEAF_TYPE;
  created: string;
  /** SHA-256 of the content's exact bytes. */
  digest: { sha256: string };
  mediaType: string;
  parameters: OutputParameters;
  promptDigest?: PromptDigest;
  size: number;
}

/** An RFC 6838 restricted name (type, subtype, parameter name or token value). */
const RESTRICTED_NAME = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}";

/** A media type, `type/subtype` with optional `; name=value` parameters (RFC 6838, RFC 9110 section 8.3.1). */
export const mediaTypeSchema = {
  type: 'string',
  description: 'media type of the content (RFC 6838), e.g. text/plain; charset=utf-8',
  maxLength: 256,
  pattern: `^${RESTRICTED_NAME}/${RESTRICTED_NAME}(?: ?; ?${RESTRICTED_NAME}=(?:${RESTRICTED_NAME}|"[^"\\\\\\u0000-\\u001f\\u007f]*"))*$`,
  patternHint: 'a media type such as text/plain; charset=utf-8',
} as const satisfies Schema;

const promptDigestSchema = {
  type: 'object',
  description: 'HMAC-SHA256 of the prompt under a per-deployment secret, so the prompt cannot be guessed from it',
  required: ['alg', 'keyId', 'digest'],
  additionalProperties: false,
  properties: {
    alg: { type: 'string', const: 'hmac-sha256' },
    keyId: {
      type: 'string',
      description: 'names the secret: the first 16 hex digits of its SHA-256 under a domain prefix',
      pattern: '^[0-9a-f]{16}$',
      patternHint: '16 lower-case hex digits',
    },
    digest: { ...sha256Hex, description: 'HMAC-SHA256(secret, prompt), lower-case hex' },
  },
} as const satisfies Schema;

const parametersSchema = {
  type: 'object',
  description:
    `generation parameters: at most ${MAX_OUTPUT_PARAMETERS} names (1 to ${MAX_PARAMETER_NAME} characters, no spaces or ` +
    `control characters), each a string (at most ${MAX_PARAMETER_STRING} characters, no control characters), a number or a boolean`,
} as const satisfies Schema;

const sizeSchema = { type: 'integer', description: 'size of the content in bytes', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const satisfies Schema;

/** JSON Schema of the `output` predicate; the validator and `docs/schema/output.v1.schema.json` both come from it. */
export const outputPredicateSchema = {
  title: 'provenant output predicate v1',
  description:
    'One generated output: the model record that produced it, when, with which generation parameters, ' +
    'its media type and size, and optionally a salted digest of its prompt. The in-toto subject is the ' +
    'content, with digest sha256 over its exact bytes.',
  type: 'object',
  required: ['model', 'created', 'mediaType', 'size', 'parameters'],
  additionalProperties: false,
  properties: {
    model: { ...recordIdString, description: 'id of the model record that produced the output' },
    created: dateTime('when the output was made'),
    mediaType: mediaTypeSchema,
    size: sizeSchema,
    parameters: parametersSchema,
    promptDigest: promptDigestSchema,
  },
} as const satisfies Schema;

/** JSON Schema of the `output-batch` predicate; the validator and `docs/schema/output-batch.v1.schema.json` both come from it. */
export const outputBatchPredicateSchema = {
  title: 'provenant output-batch predicate v1',
  description:
    'A batch of generated outputs signed at once: the in-toto subject "merkle-root" carries the RFC 6962 ' +
    'Merkle Tree Hash (SHA-256) of count output leaves; each output has a receipt with its inclusion proof.',
  type: 'object',
  required: ['model', 'created', 'count', 'treeAlg', 'leafType', 'window'],
  additionalProperties: false,
  properties: {
    model: { ...recordIdString, description: 'id of the model record that produced every output of the batch' },
    created: dateTime('when the batch was signed'),
    count: { type: 'integer', description: 'number of leaves (the tree size)', minimum: 1, maximum: MAX_BATCH_SIZE },
    treeAlg: { type: 'string', const: MERKLE_TREE_ALG, description: 'RFC 6962 section 2.1 Merkle Tree Hash with SHA-256' },
    leafType: { type: 'string', const: OUTPUT_LEAF_TYPE, description: 'what each leaf is: RFC 8785 canonical JSON of an output leaf' },
    window: {
      type: 'object',
      description: 'the span of the created times of the outputs in the batch',
      required: ['start', 'end'],
      additionalProperties: false,
      properties: {
        start: dateTime('created time of the earliest output'),
        end: dateTime('created time of the latest output'),
      },
    },
  },
} as const satisfies Schema;

/** Schema of an output leaf (not a record: the leaves of an `output-batch` tree, carried in receipts). */
export const outputLeafSchema = {
  title: 'provenant output leaf v1',
  type: 'object',
  required: ['_type', 'created', 'digest', 'mediaType', 'parameters', 'size'],
  additionalProperties: false,
  properties: {
    _type: { type: 'string', const: OUTPUT_LEAF_TYPE },
    created: dateTime('when the output was made'),
    digest: {
      type: 'object',
      required: ['sha256'],
      additionalProperties: false,
      properties: { sha256: { ...sha256Hex, description: 'SHA-256 of the exact content bytes' } },
    },
    mediaType: mediaTypeSchema,
    parameters: parametersSchema,
    promptDigest: promptDigestSchema,
    size: sizeSchema,
  },
} as const satisfies Schema;

// eslint-disable-next-line no-control-regex
const BAD_NAME = /[\s\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The problem with one parameter name, or `undefined` when it is acceptable.
 *
 * @param name the name
 * @returns what is wrong, or undefined
 * @throws nothing
 * @example
 * ```ts
 * parameterNameProblem('top p') // 'expected a name without spaces or control characters'
 * ```
 */
export function parameterNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_PARAMETER_NAME) return `expected a name of 1 to ${MAX_PARAMETER_NAME} characters`;
  if (BAD_NAME.test(name)) return 'expected a name without spaces or control characters';
  // Strict JSON readers refuse a "__proto__" key, so a record carrying one could never be read.
  if (name === '__proto__') return 'is not an allowed name';
  return undefined;
}

/**
 * The problem with one parameter value, or `undefined` when it is acceptable.
 *
 * @param value the value
 * @returns what is wrong, or undefined
 * @throws nothing
 * @example
 * ```ts
 * parameterValueProblem(Infinity) // 'expected a finite number'
 * ```
 */
export function parameterValueProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : 'expected a finite number';
    case 'string':
      if (value.length > MAX_PARAMETER_STRING) return `expected at most ${MAX_PARAMETER_STRING} characters, got ${value.length}`;
      return CONTROL.test(value) ? 'expected text without control characters' : undefined;
    default:
      return `expected a string, a number or a boolean, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  }
}

/**
 * Check generation parameters beyond what the schema subset can say: the
 * number of names, each name, each value's type and size. Used by the
 * `output` kind rules, by leaf validation and by the output signer.
 *
 * @param value the parameters (already known to be an object)
 * @param path where they are, e.g. `predicate.parameters`
 * @param errors where problems are recorded
 * @returns nothing; problems are in `errors`
 * @throws nothing
 * @example
 * ```ts
 * const errors = new FieldErrors();
 * checkOutputParameters({ temperature: 0.7 }, 'parameters', errors);
 * ```
 */
export function checkOutputParameters(value: Record<string, unknown>, path: string, errors: FieldErrors): void {
  const names = Object.keys(value);
  if (names.length > MAX_OUTPUT_PARAMETERS) errors.add(path, `expected at most ${MAX_OUTPUT_PARAMETERS} parameters, got ${names.length}`);
  for (const name of names) {
    const at = propertyPath(path, name);
    const nameProblem = parameterNameProblem(name);
    if (nameProblem !== undefined) errors.add(at, nameProblem);
    const valueProblem = parameterValueProblem(value[name]);
    if (valueProblem !== undefined) errors.add(at, valueProblem);
  }
}
