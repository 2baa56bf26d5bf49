import { bytesEqual, fromHex, toHex } from '../lib/bytes.js';
import { VerificationError } from '../lib/errors.js';
import { comparePosixPaths } from '../digest/paths.js';
import { rootDigestOf } from '../digest/model.js';
import { OMS_PREDICATE_TYPE } from './oms/statement.js';
import type { DatasetPredicate } from './schema/dataset.js';
import type { ModelPredicate } from './schema/model.js';
import { PREDICATE_SCHEMAS } from './schema/registry.js';
import type { Schema } from './schema/types.js';
import { GOVERNANCE_KIND_RULES } from './governance-kinds.js';
import { OUTPUT_KIND_RULES } from './output-kinds.js';
import type { FieldErrors } from './schema/validate.js';
import type { PredicateMap, ProvenantKind, RecordKind, Statement } from './types.js';

/** Prefix of provenant's predicate types: `https://provenant.dev/<kind>/v1`. */
export const PROVENANT_PREDICATE_PREFIX = 'https://provenant.dev/';

/** The predicateType of every record kind. */
export const PREDICATE_TYPES: { readonly [K in RecordKind]: string } = {
  weights: OMS_PREDICATE_TYPE,
  dataset: `${PROVENANT_PREDICATE_PREFIX}dataset/v1`,
  model: `${PROVENANT_PREDICATE_PREFIX}model/v1`,
  electorate: `${PROVENANT_PREDICATE_PREFIX}electorate/v1`,
  proposal: `${PROVENANT_PREDICATE_PREFIX}proposal/v1`,
  ballot: `${PROVENANT_PREDICATE_PREFIX}ballot/v1`,
  decision: `${PROVENANT_PREDICATE_PREFIX}decision/v1`,
  output: `${PROVENANT_PREDICATE_PREFIX}output/v1`,
  'output-batch': `${PROVENANT_PREDICATE_PREFIX}output-batch/v1`,
};

/** Every record kind, in a stable order. */
export const RECORD_KINDS: readonly RecordKind[] = Object.freeze(Object.keys(PREDICATE_TYPES) as RecordKind[]);

/**
 * The record kind of a predicateType, or `undefined` for one provenant does
 * not know (which readers must refuse: fail closed).
 *
 * @param predicateType the statement's predicateType
 * @returns the kind, or undefined
 * @throws nothing
 * @example
 * ```ts
 * kindOfPredicateType('https://provenant.dev/dataset/v1') // 'dataset'
 * ```
 */
export function kindOfPredicateType(predicateType: unknown): RecordKind | undefined {
  return RECORD_KINDS.find((k) => PREDICATE_TYPES[k] === predicateType);
}

/**
 * What a provenant kind requires beyond the statement shape: a predicate
 * schema, and the cross-field rules a schema cannot say.
 */
export interface KindRules<K extends ProvenantKind> {
  schema: Schema;
  /** Structural rules across fields; only runs once the schema passed. */
  checkFields(statement: Statement<PredicateMap[K]>, errors: FieldErrors): void;
  /** Digest consistency; only runs once every field is valid. */
  checkDigests(statement: Statement<PredicateMap[K]>): void;
  /** The ids of the records this one links to (the edges of the chain). */
  links(statement: Statement<PredicateMap[K]>): string[];
}

function requireOneSha256Subject(statement: Statement<unknown>, errors: FieldErrors): void {
  if (statement.subject.length !== 1) {
    errors.add('subject', `expected exactly one subject, got ${statement.subject.length}`);
    return;
  }
  if (!Object.hasOwn(statement.subject[0]!.digest, 'sha256')) errors.add('subject[0].digest.sha256', 'is required');
}

function rootMismatch(message: string): VerificationError {
  return new VerificationError('ERR_ROOT_DIGEST_MISMATCH', message);
}

const datasetRules: KindRules<'dataset'> = {
  schema: PREDICATE_SCHEMAS.dataset,
  checkFields(statement, errors) {
    requireOneSha256Subject(statement, errors);
    const files = statement.predicate.files;
    const seen = new Map<string, number>();
    for (let i = 0; i < files.length; i++) {
      const name = files[i]!.name;
      const first = seen.get(name);
      if (first !== undefined) errors.add(`predicate.files[${i}].name`, `repeats predicate.files[${first}].name`);
      else if (i > 0 && comparePosixPaths(files[i - 1]!.name, name) > 0) {
        errors.add(`predicate.files[${i}].name`, `is out of order: expected files sorted by path (OMS order)`);
      }
      seen.set(name, i);
    }
  },
  checkDigests(statement) {
    const p: DatasetPredicate = statement.predicate;
    if (statement.subject[0]!.digest.sha256 !== p.rootDigest) {
      throw rootMismatch(`the subject digest ${statement.subject[0]!.digest.sha256} is not the predicate's rootDigest ${p.rootDigest}`);
    }
    const root = rootDigestOf(p.files.map((f) => fromHex(f.sha256)!));
    if (!bytesEqual(root, fromHex(p.rootDigest)!)) {
      throw rootMismatch(`rootDigest ${p.rootDigest} is not the digest of the listed files (${toHex(root)})`);
    }
  },
  links(statement) {
    return [...(statement.predicate.approvals ?? [])];
  },
};

const modelRules: KindRules<'model'> = {
  schema: PREDICATE_SCHEMAS.model,
  checkFields(statement, errors) {
    requireOneSha256Subject(statement, errors);
    const p: ModelPredicate = statement.predicate;
    const datasets = new Set(p.datasets ?? []);
    (p.parents ?? []).forEach((id, i) => {
      if (datasets.has(id)) errors.add(`predicate.parents[${i}]`, 'is also listed in predicate.datasets');
      if (id === p.weights.id) errors.add(`predicate.parents[${i}]`, 'is the weights record, not a model record');
    });
  },
  checkDigests(statement) {
    const root = statement.predicate.weights.rootDigest;
    if (statement.subject[0]!.digest.sha256 !== root) {
      throw rootMismatch(`the subject digest ${statement.subject[0]!.digest.sha256} is not the weights root digest ${root}`);
    }
  },
  links(statement) {
    const p = statement.predicate;
    return [p.weights.id, ...(p.datasets ?? []), ...(p.parents ?? []), ...(p.approvals ?? [])];
  },
};

/** The rules of every provenant kind. */
export const KIND_RULES: { readonly [K in ProvenantKind]: KindRules<K> } = {
  dataset: datasetRules,
  model: modelRules,
  ...GOVERNANCE_KIND_RULES,
  ...OUTPUT_KIND_RULES,
};

/** The provenant kinds, in a stable order. */
export const PROVENANT_KINDS: readonly ProvenantKind[] = Object.freeze(Object.keys(KIND_RULES) as ProvenantKind[]);
