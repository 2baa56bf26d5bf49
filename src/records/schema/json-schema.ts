import { PREDICATE_SCHEMAS, type SchemaKind } from './registry.js';
import type { Schema } from './types.js';

/** The JSON Schema dialect of the published schemas. */
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * The `$id` of a kind's published predicate schema.
 *
 * @param kind the record kind
 * @returns `https://provenant.dev/schema/<kind>/v1.json`
 * @throws nothing
 * @example
 * ```ts
 * predicateSchemaId('dataset') // 'https://provenant.dev/schema/dataset/v1.json'
 * ```
 */
export function predicateSchemaId(kind: SchemaKind): string {
  return `https://provenant.dev/schema/${kind}/v1.json`;
}

/**
 * The file name a kind's schema is published under in `docs/schema/`.
 *
 * @param kind the record kind
 * @returns `<kind>.v1.schema.json`
 * @throws nothing
 * @example
 * ```ts
 * predicateSchemaFileName('model') // 'model.v1.schema.json'
 * ```
 */
export function predicateSchemaFileName(kind: SchemaKind): string {
  return `${kind}.v1.schema.json`;
}

/** Our own annotations, which are not JSON Schema. */
const PRIVATE_KEYWORDS = new Set(['patternHint']);

function publish(schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (PRIVATE_KEYWORDS.has(key)) continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, publish(v)]));
    } else if (key === 'items') out[key] = publish(value as Schema);
    else out[key] = value;
  }
  return out;
}

/**
 * A kind's predicate schema as a standalone JSON Schema (draft 2020-12)
 * document, generated from the same object the validator uses.
 *
 * @param kind the record kind
 * @returns the document, with `$schema` and `$id` first
 * @throws nothing
 * @example
 * ```ts
 * new Ajv2020().compile(predicateJsonSchema('dataset'));
 * ```
 */
export function predicateJsonSchema(kind: SchemaKind): Record<string, unknown> {
  return { $schema: JSON_SCHEMA_DIALECT, $id: predicateSchemaId(kind), ...publish(PREDICATE_SCHEMAS[kind]) };
}

/**
 * The exact text of `docs/schema/<kind>.v1.schema.json` (two-space JSON and
 * a final newline). `scripts/write-schemas.mjs` writes it; a test fails when
 * the file differs.
 *
 * @param kind the record kind
 * @returns the file's text
 * @throws nothing
 * @example
 * ```ts
 * await writeFile(`docs/schema/${predicateSchemaFileName('model')}`, predicateJsonSchemaText('model'));
 * ```
 */
export function predicateJsonSchemaText(kind: SchemaKind): string {
  return `${JSON.stringify(predicateJsonSchema(kind), null, 2)}\n`;
}

/** Every kind with a published schema, in a stable order. */
export const SCHEMA_KINDS: readonly SchemaKind[] = Object.freeze(Object.keys(PREDICATE_SCHEMAS).sort() as SchemaKind[]);
