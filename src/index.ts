// provenant's public API: named re-exports only.
export { ProvenantError, InputError, VerificationError, AbortError, ExitCode } from './lib/errors.js';
export type { ErrorCode, InputErrorCode, VerificationErrorCode, AbortErrorCode } from './lib/errors.js';

export { canonicalJson, canonicalJsonBytes, parseJson } from './lib/json.js';
export type { JsonValue, JsonLimits } from './lib/json.js';
export { toHex, fromHex } from './lib/bytes.js';

export { HashPool } from './digest/pool.js';
export type { HashPoolOptions, HashProgress, HashRunOptions } from './digest/pool.js';
export { hashModel, manifestToJson, rootDigestOf, DEFAULT_SHARD_SIZE, DEFAULT_IGNORED_PATHS } from './digest/model.js';
export type {
  HashModelOptions,
  ModelManifest,
  ModelManifestJson,
  ModelResource,
  SerializationMethod,
} from './digest/model.js';
export { hashFile } from './digest/file.js';
export { rawCid, sha256Multihash } from './digest/cid.js';
export { comparePosixPaths } from './digest/paths.js';

export { importPublicKey, importSigner, generateKeyPair, verifySignature, KEYGEN_ALGORITHMS } from './envelope/keys.js';
export type { PublicKey, Signer, KeyAlgorithm, KeyInput, GeneratedKeyPair } from './envelope/keys.js';
export { pae } from './envelope/pae.js';
export { parseEnvelope } from './envelope/parse.js';
export { signEnvelope, addSignatures } from './envelope/sign.js';
export type { SignEnvelopeOptions } from './envelope/sign.js';
export { verifyEnvelope } from './envelope/verify.js';
export type { VerifyEnvelopeOptions, VerifiedEnvelope } from './envelope/verify.js';
export type { Envelope, EnvelopeSignature, ParsedEnvelope, EnvelopeLimits } from './envelope/types.js';

export { buildOmsStatement, parseOmsStatement, OMS_PREDICATE_TYPE, STATEMENT_TYPE } from './records/oms/statement.js';
export type { OmsStatement, OmsSerialization, ParsedOmsStatement } from './records/oms/statement.js';
export { buildKeyBundle, parseKeyBundle, omsKeyHint, BUNDLE_V03_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE } from './records/oms/bundle.js';
export type { KeyBundle, ParsedKeyBundle } from './records/oms/bundle.js';
export { signModel, defaultSignaturePath } from './records/oms/sign-model.js';
export type { SignModelOptions, SignedModel } from './records/oms/sign-model.js';
export { verifyModel } from './records/oms/verify-model.js';
export type { VerifyModelOptions, VerifiedModel } from './records/oms/verify-model.js';

export { toJwsCompact, toJwsGeneral, verifyJws, JWS_ALGORITHMS } from './envelope/jws.js';
export type { JwsAlgorithm, GeneralJws, FlattenedJws, SignJwsOptions, VerifyJwsOptions, VerifiedJws } from './envelope/jws.js';
export { derToRawEcdsa, rawToDerEcdsa } from './lib/der.js';
export { recordId, parseRecordId, JSON_CODEC } from './records/id.js';

export { DirectoryStore, DEFAULT_STORE_DIR } from './store/directory.js';
export type { DirectoryStoreOptions } from './store/directory.js';
export { CarStore } from './store/car-store.js';
export type { CarStoreOptions } from './store/car-store.js';
export { openStore } from './store/open.js';
export type { OpenStoreOptions } from './store/open.js';
export { exportCar } from './store/car-export.js';
export type { ExportCarOptions, ExportedCar, ByteSink } from './store/car-export.js';
export { importCar } from './store/car-import.js';
export type { ImportCarOptions, ImportedCar } from './store/car-import.js';
export { decodeStoredRecord } from './store/decode.js';
export { CAR_INDEX_TYPE, MAX_CAR_INDEX_BYTES } from './store/car-format.js';
export type { StoredRecord, RecordStore, WritableRecordStore, RecordIdInput, EnvelopeInput, StoreLimits } from './store/types.js';

export { createRecord } from './records/create-record.js';
export type { CreateRecordInput } from './records/create-record.js';
export { openRecord } from './records/open-record.js';
export type { OpenRecordOptions } from './records/open-record.js';
export { validateStatement, checkStatementFields, sha256Subject, recordLinks, MAX_SUBJECTS } from './records/statement.js';
export { collectChain, MAX_CHAIN_RECORDS } from './store/chain.js';
export type { ValidateStatementOptions, ValidatedStatement } from './records/statement.js';
export { PREDICATE_TYPES, RECORD_KINDS, PROVENANT_KINDS, kindOfPredicateType } from './records/kinds.js';
export { resolveLinks } from './records/links.js';
export type { ResolveLinksOptions } from './records/links.js';
export { attestDataset } from './records/dataset.js';
export type { AttestDatasetOptions, AttestedDataset } from './records/dataset.js';
export { attestModel } from './records/model.js';
export type { AttestModelOptions, AttestedModel, LinkedWeights } from './records/model.js';
export { SchemaValidationError, validateSchema } from './records/schema/validate.js';
export { PREDICATE_SCHEMAS } from './records/schema/registry.js';
export { predicateJsonSchema, predicateSchemaId } from './records/schema/json-schema.js';
export type { DatasetPredicate, DatasetFile } from './records/schema/dataset.js';
export type { ModelPredicate, DigestedFile } from './records/schema/model.js';
export type { Schema, FieldError } from './records/schema/types.js';
export type {
  Subject,
  Statement,
  PredicateMap,
  RecordKind,
  ProvenantKind,
  StatementOf,
  RecordSource,
  CreatedRecord,
  OpenedRecord,
  AnyOpenedRecord,
} from './records/types.js';
