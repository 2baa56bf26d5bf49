import type { CID } from 'multiformats/cid';
import type { Envelope } from '../envelope/types.js';
import type { OmsStatement, STATEMENT_TYPE } from './oms/statement.js';
import type { DatasetPredicate } from './schema/dataset.js';
import type { BallotPredicate, DecisionPredicate, ElectoratePredicate, ProposalPredicate } from './schema/governance.js';
import type { ModelPredicate } from './schema/model.js';
import type { OutputBatchPredicate, OutputPredicate } from './schema/output.js';

/**
 * An in-toto ResourceDescriptor as a statement subject. provenant writes only
 * `name` and `digest`; the other descriptor fields are accepted when reading.
 */
export interface Subject {
  name?: string;
  /** Algorithm name (`sha256`, `sha512`, `gitCommit`, ...) to lower-case hex digest. */
  digest: { [algorithm: string]: string };
  uri?: string;
  downloadLocation?: string;
  mediaType?: string;
  /** Base64 content. */
  content?: string;
  annotations?: { [key: string]: unknown };
}

/** An in-toto Statement v1 carrying predicate `P`. */
export interface Statement<P = unknown> {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: string;
  predicate: P;
}

/**
 * The predicate of each record kind. A new kind (electorate, proposal,
 * ballot, decision, output) is added here, in `PREDICATE_TYPES` and in the
 * kind rules of `kinds.ts`, with its schema under `schema/`.
 */
export interface PredicateMap {
  /** OpenSSF model signing v1.0 (`model.sig`), validated by `parseOmsStatement`. */
  weights: OmsStatement['predicate'];
  dataset: DatasetPredicate;
  model: ModelPredicate;
  electorate: ElectoratePredicate;
  proposal: ProposalPredicate;
  ballot: BallotPredicate;
  decision: DecisionPredicate;
  output: OutputPredicate;
  'output-batch': OutputBatchPredicate;
}

/** Every kind of record provenant reads. */
export type RecordKind = keyof PredicateMap;

/** Kinds whose predicate provenant defines (`https://provenant.dev/<kind>/v1`) and can create with `createRecord`. */
export type ProvenantKind = Exclude<RecordKind, 'weights'>;

/** The statement of each kind. */
export type StatementOf<K extends RecordKind> = K extends 'weights' ? OmsStatement : Statement<PredicateMap[K]>;

/**
 * Where linked records are looked up. Structural on purpose: the directory
 * store, a CAR file or a `Map` in a test all satisfy it.
 *
 * @example
 * ```ts
 * const map = new Map<string, Uint8Array>();
 * const source: RecordSource = { get: async (id) => { const b = map.get(id.toString()); return b && { envelopeBytes: b }; } };
 * ```
 */
export interface RecordSource {
  /** The stored envelope of record `id`, or `undefined` when there is none. */
  get(id: CID): Promise<{ envelopeBytes: Uint8Array } | undefined>;
}

/** A record just signed by `createRecord`. */
export interface CreatedRecord<K extends ProvenantKind = ProvenantKind> {
  /** CIDv1 (json, sha2-256) of `payload`. */
  id: CID;
  kind: K;
  envelope: Envelope;
  /** UTF-8 of `JSON.stringify(envelope)`: what a store writes. */
  envelopeBytes: Uint8Array;
  /** The exact signed bytes: RFC 8785 canonical JSON of `statement`. */
  payload: Uint8Array;
  /** The statement as signed (parsed back from `payload`). */
  statement: StatementOf<K>;
}

/** A record that `openRecord` verified and validated. */
export interface OpenedRecord<K extends RecordKind = RecordKind> {
  /** CIDv1 (json, sha2-256) of `payload`. */
  id: CID;
  kind: K;
  /** Parsed from the exact signed payload bytes. */
  statement: StatementOf<K>;
  predicate: PredicateMap[K];
  /** Key ids (RFC 7638 thumbprints) of the distinct trusted keys whose signatures verified. */
  signedBy: string[];
  /** The exact signed bytes. */
  payload: Uint8Array;
  envelope: Envelope;
}

/** An opened record of one of the kinds `K`, discriminated by `kind` so a `switch` narrows `predicate`. */
export type AnyOpenedRecord<K extends RecordKind = RecordKind> = { [Kind in K]: OpenedRecord<Kind> }[K];
