import { datasetPredicateSchema } from './dataset.js';
import { ballotPredicateSchema, decisionPredicateSchema, electoratePredicateSchema, proposalPredicateSchema } from './governance.js';
import { modelPredicateSchema } from './model.js';
import { outputBatchPredicateSchema, outputPredicateSchema } from './output.js';
import type { Schema } from './types.js';

/**
 * The predicate schema of every provenant kind: what the validator checks and
 * what `docs/schema/` publishes. A new kind adds its schema here.
 */
export const PREDICATE_SCHEMAS = {
  dataset: datasetPredicateSchema,
  model: modelPredicateSchema,
  electorate: electoratePredicateSchema,
  proposal: proposalPredicateSchema,
  ballot: ballotPredicateSchema,
  decision: decisionPredicateSchema,
  output: outputPredicateSchema,
  'output-batch': outputBatchPredicateSchema,
} as const satisfies { readonly [kind: string]: Schema };

/** A kind that has a published predicate schema. */
export type SchemaKind = keyof typeof PREDICATE_SCHEMAS;
