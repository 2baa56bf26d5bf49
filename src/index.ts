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
export type {
  OutputPredicate,
  OutputBatchPredicate,
  OutputLeaf,
  OutputParameters,
  ParameterValue,
  PromptDigest,
  BatchWindow,
} from './records/schema/output.js';
export { MAX_BATCH_SIZE, MAX_OUTPUT_PARAMETERS, MERKLE_TREE_ALG, OUTPUT_LEAF_TYPE } from './records/schema/output.js';

export { createOutputSigner } from './outputs/signer.js';
export type { OutputSignerOptions, SingleOutputSigner, BatchOutputSigner } from './outputs/signer.js';
export type { OutputInput } from './outputs/prepare.js';
export type { BatchOptions } from './outputs/batch.js';
export { DEFAULT_BATCH_ITEMS, DEFAULT_BATCH_DELAY_MS } from './outputs/batch.js';
export type { SignedOutput } from './outputs/output-record.js';
export { checkParameters, checkLimits, ParameterLimitError } from './outputs/parameters.js';
export type { ParameterLimit, ParameterBreach } from './outputs/parameters.js';
export { promptDigest, promptKeyId, matchesPromptDigest, importPromptKey, MIN_PROMPT_SECRET_BYTES } from './outputs/prompt.js';
export type { PromptKey } from './outputs/prompt.js';
export { parseOutputLeaf, MAX_LEAF_BYTES } from './outputs/leaf.js';
export {
  encodeReceipt,
  decodeReceipt,
  receiptToJson,
  RECEIPT_TYPE,
  RECEIPT_CBOR_VERSION,
  MAX_RECEIPT_BYTES,
  MAX_PROOF_HASHES,
} from './outputs/receipt.js';
export type { OutputReceipt, OutputReceiptJson, ReceiptFormat, EncodeReceiptOptions } from './outputs/receipt.js';
export { verifyOutputReceipt, verifyOutputRecord, outputOrigin } from './outputs/verify.js';
export type { VerifyOutputOptions, VerifyOutputReceiptOptions, VerifiedOutput, OutputOrigin } from './outputs/verify.js';
export {
  merkleLeafHash,
  merkleNodeHash,
  merkleRoot,
  rootFromInclusionProof,
  verifyInclusion,
  MerkleTree,
  MerkleTreeBuilder,
  EMPTY_TREE_HASH,
} from './outputs/merkle.js';
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

export { verifyChain } from './verify/chain.js';
export type { VerifyTarget, VerifyChainOptions, SigstoreRoleVerifier } from './verify/chain.js';
export { loadPolicy, parsePolicy, policyFromKeys, parseDuration, PolicyError, MAX_POLICY_BYTES, DEFAULT_POLICY_ALGORITHMS } from './verify/policy.js';
export type { TrustPolicy, PolicyRole, PolicySigstoreIdentity, KindRule, ParsePolicyOptions, PolicyFromKeysOptions } from './verify/policy.js';
export { policyJsonSchema, POLICY_SCHEMA_ID } from './verify/policy-schema.js';
export { formatReportText, reportToSarif, CHECK_NAMES, SARIF_VERSION } from './verify/report.js';
export type { VerifyReport, VerifyCheck, ChainRecord, ChainLink, CheckName } from './verify/report.js';
export type { GovernanceVerifier, RecordVerifier, WalkedRecord, VerifyContext, PluginCheck, ApprovalResult, Revocation } from './verify/governance.js';

export { createElectorate, loadElectorate, electorateMembers, memberKey, memberOfKey, MAX_ELECTORATE_VERSIONS } from './governance/electorate.js';
export type { Member, VerifiedElectorate, ElectorateMemberInput, CreateElectorateInput, CreatedElectorate } from './governance/electorate.js';
export { createProposal, proposalProblems, requireMemberSigner, windowOf, DEFAULT_CHOICES } from './governance/proposal.js';
export type { CreateProposalInput } from './governance/proposal.js';
export { castBallot, ballotProblem, compareBallots } from './governance/ballot.js';
export type { CastBallotInput } from './governance/ballot.js';
export { computeOutcome, tallyProposal, createDecision, decisionPredicate, verifyDecision, approvalProblem } from './governance/decision.js';
export type { ComputedOutcome, ProposalTally, GovernanceOptions, DecisionVerification, RejectionReason } from './governance/decision.js';
export { GovernanceIndex, GOVERNANCE_KINDS } from './governance/index-store.js';
export type { GovernanceKind } from './governance/index-store.js';
export { governanceLog } from './governance/log.js';
export type { LogEntry, LogBallot, LogDecision } from './governance/log.js';
export { readRecord, readStored, asProblem, formatTime } from './governance/read.js';
export type { ReadRecord, AnyReadRecord, GovernanceProblem } from './governance/read.js';
export { tallyVotes, isValidChoice, voteContribution, VOTING_METHODS } from './governance/tally.js';
export type { VotingMethod, Vote, Tally } from './governance/tally.js';
export { checkRotation, signingPrincipals, assertSignerSet } from './governance/rotation.js';
export type { Principal, SignerSet, RotationSignature, RotationCheck, RotationCode } from './governance/rotation.js';
export { olpcCanonicalJson, parseTufRoot, tufRootSignerSet, verifyTufRootUpdate, verifyTufRootChain } from './governance/tuf.js';
export type { TufKey, TufRoot, TufRootUpdateCode, TufVerifyOptions, TufRootUpdateResult, TufRootChainResult } from './governance/tuf.js';
export { recordSubject, electorateSubject, MAX_CHOICE_BYTES } from './records/governance-kinds.js';
export { GOVERNANCE_METHODS, PROPOSAL_ACTIONS, REJECTION_REASONS, MAX_MEMBERS, MAX_DECISION_BALLOTS, MAX_CHOICES } from './records/schema/governance.js';
export type {
  ElectoratePredicate,
  ElectorateMember,
  MemberKey,
  VotingRules,
  ProposalPredicate,
  ProposalAction,
  ParameterSetting,
  BallotPredicate,
  DecisionPredicate,
  DecisionTally,
} from './records/schema/governance.js';
export { createGovernanceVerifier, approvedParameterLimits } from './governance/verifier.js';
export type { ParameterLimitsOptions } from './governance/verifier.js';
export { memoStore } from './store/memo.js';
export { verifyOutput } from './verify/output.js';
export type { OutputProof } from './verify/output.js';
export { checkReceiptProof } from './outputs/verify.js';
