/** The JSON value types a schema can require. */
export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

/** String formats the validator checks (JSON Schema 2020-12 `format`, assertion mode). */
export type SchemaFormat = 'date-time' | 'uri';

/** A value `enum` and `const` may name: predicates compare only primitives. */
export type SchemaPrimitive = string | number | boolean | null;

/**
 * The JSON Schema (draft 2020-12) subset provenant's predicates are written
 * in. Schemas are plain TypeScript objects: the validator reads them directly
 * and `docs/schema/*.json` is generated from them, so the two cannot differ.
 *
 * `patternHint` is ours, not JSON Schema: it names what `pattern` means so an
 * error can say `expected 64 lower-case hex digits` instead of quoting a
 * regular expression. It is dropped from the published JSON Schema.
 */
export interface Schema {
  readonly type?: SchemaType;
  readonly title?: string;
  readonly description?: string;
  readonly properties?: { readonly [name: string]: Schema };
  readonly required?: readonly string[];
  readonly additionalProperties?: false;
  readonly enum?: readonly SchemaPrimitive[];
  readonly const?: SchemaPrimitive;
  readonly pattern?: string;
  readonly patternHint?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly format?: SchemaFormat;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly items?: Schema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
}

/** One field that failed validation. */
export interface FieldError {
  /** Where, from the root the validation started at: `predicate.files[3].sha256`. */
  readonly path: string;
  /** What is wrong, e.g. `expected 64 lower-case hex digits`. */
  readonly message: string;
}
