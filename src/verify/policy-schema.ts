import { printableText, recordIdString } from '../records/schema/fragments.js';
import type { Schema } from '../records/schema/types.js';

/**
 * The trust policy's schema, in the same JSON Schema subset as the predicate
 * schemas (`src/records/schema/`): `parsePolicy` validates with these objects
 * and `docs/schema/policy.v1.schema.json` is generated from them by
 * `scripts/write-schemas.mjs`, so the two cannot differ.
 *
 * The subset has no keyword for a map of user-chosen names (roles) to values,
 * so the two maps (`roles`, `kinds`) are described by {@link POLICY_MAPS}:
 * the validator checks each entry's name and value with it, and the published
 * schema turns it into `propertyNames`, `additionalProperties` and
 * `maxProperties`.
 */

/** The `$id` of the published policy schema. */
export const POLICY_SCHEMA_ID = 'https://provenant.dev/schema/policy/v1.json';

/** The file `docs/schema/` publishes the policy schema under. */
export const POLICY_SCHEMA_FILE = 'policy.v1.schema.json';

/** Key algorithms a policy may accept. */
export const POLICY_ALGORITHMS = ['ed25519', 'p256', 'p384', 'p521'] as const;

/** Largest number of keys one role may list. */
export const MAX_ROLE_KEYS = 64;

/** A role or kind name: lower-case letters, digits and dashes. */
const NAME_PATTERN = '^[a-z][a-z0-9-]{0,63}$';
const NAME_HINT = 'a name of lower-case letters, digits and "-" (at most 64, starting with a letter)';

/** A duration: a positive integer and a unit (seconds, minutes, hours, days, weeks). */
export const durationString = {
  type: 'string',
  description: 'a duration: a positive integer and a unit, s m h d or w (e.g. 365d)',
  pattern: '^[1-9][0-9]{0,8}[smhdw]$',
  patternHint: 'a duration such as 90m, 36h, 365d or 52w',
} as const satisfies Schema;

/** A Sigstore identity of a role: the certificate SAN (exact, or an anchored pattern) and the OIDC issuer. */
export const sigstoreIdentitySchema = {
  type: 'object',
  description: 'a Sigstore identity: exactly one of san or sanPattern, and the OIDC issuer',
  required: ['issuer'],
  additionalProperties: false,
  properties: {
    san: { type: 'string', description: 'the certificate subject alternative name, compared exactly (an email or URI)', minLength: 1, maxLength: 1024 },
    sanPattern: { type: 'string', description: 'a regular expression the whole SAN must match (anchored)', minLength: 1, maxLength: 1024 },
    issuer: { type: 'string', description: 'the OIDC issuer URL, compared exactly', minLength: 1, maxLength: 1024 },
  },
} as const satisfies Schema;

/** One role: the keys (or Sigstore identities) trusted for it and how many of them must sign. */
export const roleSchema = {
  type: 'object',
  description: 'a role: the keys trusted to act in it and how many distinct ones must sign',
  additionalProperties: false,
  properties: {
    keys: {
      type: 'array',
      description:
        'public keys: a path to a PEM or JWK file (relative to the policy file), or the key itself inline ' +
        '(SPKI PEM text, or a JWK as JSON text)',
      minItems: 1,
      maxItems: MAX_ROLE_KEYS,
      items: { type: 'string', minLength: 1, maxLength: 16_384 },
    },
    sigstore: {
      type: 'array',
      description:
        'Sigstore identities trusted for the role (any one of them): a record signed keylessly verifies when its ' +
        'Sigstore bundle (the store\'s sidecar `<id>.sigstore.json`) has a certificate for one of them. A role needs keys, sigstore or both',
      minItems: 1,
      maxItems: MAX_ROLE_KEYS,
      items: sigstoreIdentitySchema,
    },
    trustedRoot: {
      type: 'string',
      description: 'the Sigstore trusted_root.json for sigstore identities (relative to the policy file; default the public-good root)',
      minLength: 1,
      maxLength: 4096,
    },
    threshold: {
      type: 'integer',
      description: 'how many distinct keys of the role must sign a record (default 1)',
      minimum: 1,
      maximum: MAX_ROLE_KEYS,
    },
    description: printableText(1024, 'what the role is for (informative)'),
  },
} as const satisfies Schema;

/** What records of one kind require. */
export const kindRuleSchema = {
  type: 'object',
  description: 'what a record of this kind requires',
  required: ['signedBy'],
  additionalProperties: false,
  properties: {
    signedBy: {
      type: 'string',
      description: 'the role whose threshold of keys must sign every record of this kind',
      pattern: NAME_PATTERN,
      patternHint: NAME_HINT,
    },
    approval: {
      type: 'string',
      description: 'a governance action (e.g. adopt-model, approve-dataset) an approved decision must have taken on the record',
      pattern: NAME_PATTERN,
      patternHint: NAME_HINT,
    },
    maxAge: { ...durationString, description: 'largest age of a record of this kind that carries a time (overrides maxAge)' },
  },
} as const satisfies Schema;

/** A map of names to values, which the schema subset cannot say by itself. */
export interface PolicyMapSchema {
  /** Pattern every name must match. */
  readonly namePattern: string;
  /** What the pattern means, for messages. */
  readonly nameHint: string;
  /** Most entries. */
  readonly maxEntries: number;
  /** Schema of every value. */
  readonly value: Schema;
}

/** The policy's two maps: role name to role, kind name to the kind's rule. */
export const POLICY_MAPS = {
  roles: { namePattern: NAME_PATTERN, nameHint: NAME_HINT, maxEntries: 64, value: roleSchema },
  kinds: { namePattern: NAME_PATTERN, nameHint: NAME_HINT, maxEntries: 64, value: kindRuleSchema },
} as const satisfies { readonly [field: string]: PolicyMapSchema };

/** The trust policy document (version 1). */
export const policySchema = {
  title: 'provenant trust policy v1',
  description:
    'What `provenant verify` trusts: the keys of each role and the threshold each needs, the role that must sign ' +
    'each record kind and the governance approval it needs, the accepted key algorithms, the electorate genesis ' +
    'and the largest record age. Nothing is trusted that the policy does not name.',
  type: 'object',
  required: ['version', 'roles', 'kinds'],
  additionalProperties: false,
  properties: {
    version: { type: 'integer', const: 1, description: 'the policy format version' },
    roles: { type: 'object', description: 'role name to role (e.g. publisher, curator, server, tallier)' },
    kinds: { type: 'object', description: 'record kind to what its records require; a kind not listed is not trusted' },
    governance: {
      type: 'object',
      description: 'the governance this policy trusts',
      required: ['genesis'],
      additionalProperties: false,
      properties: {
        genesis: { ...recordIdString, description: 'id of the trusted genesis electorate record' },
      },
    },
    algorithms: {
      type: 'array',
      description: 'key algorithms accepted (default ed25519, p256, p384)',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: POLICY_ALGORITHMS },
    },
    maxAge: { ...durationString, description: 'largest age of a record that carries a time (outputs, ballots, decisions ...)' },
  },
} as const satisfies Schema;

function publish(schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'patternHint') continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, publish(v)]));
    } else if (key === 'items') out[key] = publish(value as Schema);
    else out[key] = value;
  }
  return out;
}

/**
 * The policy schema as a standalone JSON Schema (draft 2020-12) document,
 * generated from the objects the validator uses.
 *
 * @returns the document, with `$schema` and `$id` first
 * @throws nothing
 * @example
 * ```ts
 * new Ajv2020().compile(policyJsonSchema());
 * ```
 */
export function policyJsonSchema(): Record<string, unknown> {
  const doc = publish(policySchema);
  const properties = doc.properties as Record<string, Record<string, unknown>>;
  for (const [field, map] of Object.entries(POLICY_MAPS)) {
    properties[field] = {
      ...properties[field],
      propertyNames: { pattern: map.namePattern },
      maxProperties: map.maxEntries,
      additionalProperties: publish(map.value),
    };
  }
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: POLICY_SCHEMA_ID, ...doc };
}

/**
 * The exact text of `docs/schema/policy.v1.schema.json` (two-space JSON and
 * a final newline).
 *
 * @returns the file's text
 * @throws nothing
 * @example
 * ```ts
 * await writeFile(`docs/schema/${POLICY_SCHEMA_FILE}`, policyJsonSchemaText());
 * ```
 */
export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
