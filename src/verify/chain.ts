import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import { utf8 } from '../lib/bytes.js';
import { ProvenantError, throwIfAborted, VerificationError } from '../lib/errors.js';
import { isObject, parseJson } from '../lib/json.js';
import type { HashPool, HashProgress } from '../digest/pool.js';
import { parseEnvelope } from '../envelope/parse.js';
import type { PublicKey } from '../envelope/keys.js';
import type { EnvelopeLimits, ParsedEnvelope } from '../envelope/types.js';
import { verifyEnvelope } from '../envelope/verify.js';
import { parseRecordId, recordId } from '../records/id.js';
import { kindOfPredicateType } from '../records/kinds.js';
import { buildKeyBundle, IN_TOTO_PAYLOAD_TYPE } from '../records/oms/bundle.js';
import { SchemaValidationError } from '../records/schema/validate.js';
import { recordLinks, validatePayload } from '../records/statement.js';
import type { RecordSource } from '../records/types.js';
import type { OutputLeaf, OutputParameters, OutputPredicate } from '../records/schema/output.js';
import { MAX_CHAIN_RECORDS } from '../store/chain.js';
import { checkLimits, checkParameters, type ParameterLimit } from '../outputs/parameters.js';
import { checkReceiptProof } from '../outputs/verify.js';
import { decodeReceipt, type OutputReceipt } from '../outputs/receipt.js';
import { parseOutputLeaf } from '../outputs/leaf.js';
import type { RecordStore, StoredRecord } from '../store/types.js';
import {
  GOVERNANCE_KINDS,
  type GovernanceVerifier,
  type PluginCheck,
  type RecordVerifier,
  type VerifyContext,
  type WalkedRecord,
} from './governance.js';
import type { KindRule, PolicyRole, TrustPolicy } from './policy.js';
import type { ChainLink, ChainRecord, VerifyCheck, VerifyReport } from './report.js';
import { walkGraph, type LoadResult, type WalkedNode } from './walk.js';

/**
 * What to verify: a record id (CID or text), a DSSE envelope's bytes (the
 * record as given, looked up in the store by nothing but its links), or an
 * artifact (its bytes, or its SHA-256 as hex) that records in the store name.
 */
export type VerifyTarget =
  | CID
  | string
  | Uint8Array
  | { content: Uint8Array }
  | { sha256: string }
  /** A batched output: its receipt (object, JSON or CBOR) and its content. The walk starts at the receipt's batch record. */
  | { receipt: OutputReceipt | Uint8Array | string; content: Uint8Array | string };

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions {
  /** Where records are read. Looking an artifact up needs a `RecordStore` (it lists the store). */
  store: RecordSource | RecordStore;
  /** What is trusted (see `loadPolicy`, `parsePolicy`, `policyFromKeys`). */
  policy: TrustPolicy;
  /** Verify as of this time (default: now): record ages, revocations and approvals are judged at it. */
  at?: Date;
  /** Re-hash the weight files in this directory (or file) and compare them with the weights record nearest the target. */
  modelPath?: string;
  /** Hashing pool for `modelPath` (default: a pool made and destroyed for the call). */
  pool?: HashPool;
  /** Progress of hashing `modelPath`. */
  onProgress?: (progress: HashProgress) => void;
  /** The governance plug-in: electorates, proposals, ballots, decisions, approvals, revocations, parameter limits. */
  governance?: GovernanceVerifier;
  /** Further kind-specific verifiers (e.g. output receipts). */
  verifiers?: readonly RecordVerifier[];
  /**
   * The Sigstore plug-in, for policy roles that name Sigstore identities
   * (`sigstorePolicyVerifier` of `provenant/sigstore`). Without it, such a
   * role accepts no keyless signature (`ERR_SIGSTORE_UNAVAILABLE`).
   */
  sigstore?: SigstoreRoleVerifier;
  /**
   * The Sigstore bundle of a record signed keylessly, by record id (e.g.
   * `DirectoryStore.getBundle`, the store's sidecar `<id>.sigstore.json`);
   * undefined when there is none.
   */
  sigstoreBundles?: (id: string) => Promise<Uint8Array | undefined>;
  /** Most records walked (default 100,000). */
  maxRecords?: number;
  /** Limits on every envelope read. */
  limits?: EnvelopeLimits;
  signal?: AbortSignal;
}

/**
 * Verifies a record's Sigstore bundle for a policy role that names Sigstore
 * identities: the bundle's DSSE envelope must carry exactly the record's
 * payload and payloadType, verify offline against the role's trusted root,
 * and have a certificate for one of the role's identities.
 */
export interface SigstoreRoleVerifier {
  /**
   * @returns who signed, for the report (e.g. `sigstore:alice@example.com`)
   * @throws VerificationError with a stable code when the bundle does not verify for the role
   */
  verifyRole(role: PolicyRole, bundle: Uint8Array, record: { payload: Uint8Array; payloadType: string }): Promise<{ signer: string }>;
}

/** How the signature check reaches Sigstore bundles. */
interface SigstoreAccess {
  verifier?: SigstoreRoleVerifier;
  bundles?: (id: string) => Promise<Uint8Array | undefined>;
}

/** A record that could not be read or validated: the check that failed. */
interface BadRecord {
  check: 'envelope' | 'record-id' | 'schema';
  code: string;
  message: string;
  kind?: string;
  details?: readonly string[];
}

interface Loaded {
  record: WalkedRecord;
  /** What each link is. */
  rules: Map<string, LinkRule>;
  /** Links listed in the chain but not walked (a proposal's targets). */
  listed: ChainLink[];
  /** The policy signature check, when the walk made one. */
  signature?: VerifyCheck;
}

/** Codes of a stored record that is damaged (not of a store that cannot be read). */
const DAMAGED_RECORD_CODES = new Set(['ERR_MALFORMED', 'ERR_LIMIT_EXCEEDED', 'ERR_SYMLINK_REFUSED', 'ERR_NOT_A_FILE']);

/** Records dated this far after the verification time are still accepted (clock skew). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** The field holding the time a record of each kind was made. */
const TIME_FIELDS: Readonly<Record<string, string>> = {
  electorate: 'created',
  proposal: 'opens',
  ballot: 'cast',
  decision: 'decided',
  output: 'created',
  'output-batch': 'created',
};

function isGovernanceKind(kind: string): boolean {
  return (GOVERNANCE_KINDS as readonly string[]).includes(kind);
}

function isStoredRecord(value: { envelopeBytes: Uint8Array }): value is StoredRecord {
  const v = value as Partial<StoredRecord>;
  return v.payload instanceof Uint8Array && typeof v.payloadType === 'string' && Array.isArray(v.signatures) && isObject(v.envelope);
}

/** A record id already in its canonical text form (what our schemas require): no need to parse it. */
const CANONICAL_ID = /^bagaaiera[a-z2-7]{51}[aq]$/;

function canonicalId(text: string): string {
  if (CANONICAL_ID.test(text)) return text;
  try {
    return parseRecordId(text).toString();
  } catch {
    return text;
  }
}

/** What each link of a record is, for the kinds whose links have a meaning the walk checks. */
interface LinkRule {
  role: string;
  /** The kinds the linked record may be (undefined: any kind). */
  kinds?: readonly string[];
  /** The subject digest the linked record must have. */
  sha256?: string;
  /**
   * False for a link to what a record acts on rather than relies on (a
   * proposal's targets): listed in the chain, not walked, so an adopt-model
   * proposal does not need the model it adopts to be adopted already.
   */
  follow?: false;
}

function linkRules(record: WalkedRecord): Map<string, LinkRule> {
  const rules = new Map<string, LinkRule>();
  const p = record.predicate as unknown as Record<string, unknown>;
  const add = (ids: unknown, role: string, kinds?: readonly string[], sha256?: string, follow = true): void => {
    for (const id of Array.isArray(ids) ? ids : [ids]) {
      if (typeof id !== 'string') continue;
      const key = canonicalId(id);
      if (!rules.has(key)) rules.set(key, { role, ...(kinds ? { kinds } : {}), ...(sha256 ? { sha256 } : {}), ...(follow ? {} : { follow: false as const }) });
    }
  };
  switch (record.kind as string) {
    case 'model': {
      const weights = isObject(p.weights) ? p.weights : {};
      add(weights.id, 'weights', ['weights'], typeof weights.rootDigest === 'string' ? weights.rootDigest : undefined);
      add(p.datasets, 'dataset', ['dataset']);
      add(p.parents, 'parent', ['model']);
      add(p.approvals, 'approval', ['decision']);
      break;
    }
    case 'dataset':
      add(p.approvals, 'approval', ['decision']);
      break;
    case 'electorate':
      add(p.previous, 'previous', ['electorate']);
      break;
    case 'proposal':
      add(p.electorate, 'electorate', ['electorate']);
      add(p.targets, 'target', undefined, undefined, false);
      break;
    case 'ballot':
      add(p.proposal, 'proposal', ['proposal']);
      add(p.electorate, 'electorate', ['electorate']);
      break;
    case 'decision':
      add(p.proposal, 'proposal', ['proposal']);
      add(p.electorate, 'electorate', ['electorate']);
      add(p.ballots, 'ballot', ['ballot']);
      break;
    case 'output':
    case 'output-batch':
      add(p.model, 'model', ['model']);
      break;
    default:
      break;
  }
  return rules;
}

function summaryOf(record: WalkedRecord): string | undefined {
  const p = record.predicate as unknown as Record<string, unknown>;
  if (typeof p.name === 'string' && typeof p.version === 'string') return `${p.name}@${p.version}`;
  if (typeof p.name === 'string' && typeof p.version === 'number') return `${p.name} v${p.version}`;
  if (record.kind === 'weights') return record.statement.subject[0]?.name;
  if (typeof p.action === 'string') return `${p.action}${typeof p.title === 'string' ? `: ${p.title}` : ''}`;
  if (typeof p.voter === 'string') return `by ${p.voter}`;
  if (typeof p.outcome === 'string') return p.outcome;
  return undefined;
}

function describeSigners(signed: number, threshold: number, role: string, total: number): string {
  return `signed by ${signed} of the ${total} ${role} ${total === 1 ? 'key' : 'keys'} (threshold ${threshold})`;
}

/** The signature check of a role with Sigstore identities, when its keys did not sign: the record's sidecar bundle. */
async function sigstoreCheck(
  record: WalkedRecord,
  role: PolicyRole,
  sigstore: SigstoreAccess,
  keyFailure: VerifyCheck | undefined,
): Promise<{ check: VerifyCheck; signedBy: string[] }> {
  const base = { record: record.idString, kind: record.kind, check: 'signature' };
  const who = `${role.name} role`;
  const bundle = sigstore.bundles ? await sigstore.bundles(record.idString) : undefined;
  if (!bundle) {
    const keys = keyFailure ? ` (${keyFailure.message})` : '';
    return {
      check: { ...base, ok: false, code: 'ERR_SIGSTORE_BUNDLE_MISSING', message: `${who}: no Sigstore bundle for this record (the store's sidecar ${record.idString}.sigstore.json)${keys}` },
      signedBy: [],
    };
  }
  if (!sigstore.verifier) {
    return {
      check: { ...base, ok: false, code: 'ERR_SIGSTORE_UNAVAILABLE', message: `${who} names Sigstore identities, and no Sigstore verifier was given` },
      signedBy: [],
    };
  }
  try {
    const { signer } = await sigstore.verifier.verifyRole(role, bundle, { payload: record.stored.payload, payloadType: record.stored.payloadType });
    return { check: { ...base, ok: true, message: `signed keylessly by ${signer} (a Sigstore identity of the ${role.name} role)` }, signedBy: [signer] };
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    return { check: { ...base, ok: false, code: err.code, message: `${who}: ${err.message}`, ...(err.details.length ? { details: err.details } : {}) }, signedBy: [] };
  }
}

/** The policy's signature check of a record, or undefined when the policy leaves it to the governance verifier. */
async function signatureCheck(record: WalkedRecord, policy: TrustPolicy, sigstore: SigstoreAccess): Promise<{ check?: VerifyCheck; signedBy: string[] }> {
  const byKeys = keySignatureCheck(record, policy);
  const role = policy.roles.get(policy.kinds.get(record.kind)?.signedBy ?? '');
  if (!byKeys.check || byKeys.check.ok || !role?.sigstore?.length) return byKeys;
  // A role with Sigstore identities: its keys (when it has any) did not sign; a keyless signature may.
  return sigstoreCheck(record, role, sigstore, role.keys.length ? byKeys.check : undefined);
}

/** The signature check of a record against its role's keys. */
function keySignatureCheck(record: WalkedRecord, policy: TrustPolicy): { check?: VerifyCheck; signedBy: string[] } {
  const base = { record: record.idString, kind: record.kind, check: 'signature' };
  const rule = policy.kinds.get(record.kind);
  if (!rule) {
    if (isGovernanceKind(record.kind)) return { signedBy: [] };
    return {
      check: { ...base, ok: false, code: 'ERR_KIND_NOT_TRUSTED', message: `the policy (${policy.source}) names no role that may sign ${record.kind} records` },
      signedBy: [],
    };
  }
  const role = policy.roles.get(rule.signedBy);
  if (!role) {
    return { check: { ...base, ok: false, code: 'ERR_KIND_NOT_TRUSTED', message: `the policy's role ${rule.signedBy} for ${record.kind} records does not exist` }, signedBy: [] };
  }
  const keys = role.keys.filter((k) => policy.algorithms.includes(k.algorithm));
  try {
    const verified = verifyEnvelope(record.stored, { keys, threshold: role.threshold, payloadType: IN_TOTO_PAYLOAD_TYPE });
    return {
      check: { ...base, ok: true, message: describeSigners(verified.signedBy.length, role.threshold, role.name, role.keys.length) },
      signedBy: verified.signedBy,
    };
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    // With a threshold above 1, tell "no key of the role signed" apart from "too few did" (only on failure: a second pass).
    if (err.code === 'ERR_THRESHOLD_NOT_MET' && !signedByAny(record, keys)) {
      return {
        check: { ...base, ok: false, code: 'ERR_SIGNATURE_INVALID', message: `${role.name} role: no signature verifies with any of its ${role.keys.length} keys (threshold ${role.threshold})` },
        signedBy: [],
      };
    }
    return { check: { ...base, ok: false, code: err.code, message: `${role.name} role: ${err.message}` }, signedBy: [] };
  }
}

function signedByAny(record: WalkedRecord, keys: readonly PublicKey[]): boolean {
  try {
    verifyEnvelope(record.stored, { keys, threshold: 1, payloadType: IN_TOTO_PAYLOAD_TYPE });
    return true;
  } catch (err) {
    if (err instanceof VerificationError) return false;
    throw err;
  }
}

function bad(check: BadRecord['check'], code: string, message: string, extra: { kind?: string; details?: readonly string[] } = {}): LoadResult<Loaded> {
  return { status: 'bad', value: { check, code, message, ...extra } satisfies BadRecord };
}

/** Read, check against its id and validate one record (signatures by the policy's role too). */
async function loadRecord(
  id: string,
  depth: number,
  store: RecordSource,
  policy: TrustPolicy,
  limits: EnvelopeLimits,
  given: StoredRecord | undefined,
  sigstore: SigstoreAccess,
): Promise<LoadResult<Loaded>> {
  let cid: CID;
  try {
    cid = parseRecordId(id);
  } catch (err) {
    return bad('record-id', 'ERR_MALFORMED', (err as Error).message);
  }
  let stored: StoredRecord;
  if (given && given.id.equals(cid)) stored = given;
  else {
    let got: { envelopeBytes: Uint8Array } | undefined;
    try {
      got = await store.get(cid);
    } catch (err) {
      if (!(err instanceof ProvenantError)) throw err;
      if (err.code === 'ERR_RECORD_NOT_FOUND') return { status: 'missing' };
      if (err.code === 'ERR_RECORD_ID_MISMATCH') return bad('record-id', err.code, err.message);
      // A damaged record is a finding about the chain; a store that cannot be read at all is not.
      if (DAMAGED_RECORD_CODES.has(err.code)) return bad('envelope', err.code, err.message);
      throw err;
    }
    if (got === undefined) return { status: 'missing' };
    let parsed: ParsedEnvelope;
    if (isStoredRecord(got)) parsed = got;
    else {
      try {
        parsed = parseEnvelope(got.envelopeBytes, limits);
      } catch (err) {
        if (!(err instanceof ProvenantError)) throw err;
        return bad('envelope', err.code, err.message);
      }
    }
    stored = { ...parsed, id: cid, envelopeBytes: got.envelopeBytes };
  }
  if (stored.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return bad('envelope', 'ERR_PAYLOAD_TYPE', `payloadType is ${JSON.stringify(stored.payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  const actual = recordId(stored.payload);
  if (!actual.equals(cid)) {
    return bad('record-id', 'ERR_RECORD_ID_MISMATCH', `the record stored as ${id} has payload id ${actual}: it is another record`);
  }
  let validated;
  try {
    validated = validatePayload(stored.payload, `record ${id}`);
  } catch (err) {
    if (!(err instanceof ProvenantError)) throw err;
    const code = err.code === 'ERR_MALFORMED' ? 'ERR_STATEMENT_INVALID' : err.code;
    return bad('schema', code, err.message, err instanceof SchemaValidationError ? { details: err.details } : {});
  }
  const record: WalkedRecord = {
    id: cid,
    idString: id,
    kind: validated.kind,
    statement: validated.statement,
    predicate: validated.predicate,
    stored,
    signedBy: [],
    depth,
  };
  const { check, signedBy } = await signatureCheck(record, policy, sigstore);
  record.signedBy = signedBy;
  const rules = linkRules(record);
  const all = [...new Set(recordLinks(validated).map(canonicalId))];
  const links = all.filter((id) => rules.get(id)?.follow !== false);
  const listed = all.filter((id) => rules.get(id)?.follow === false).map((id) => ({ id, role: rules.get(id)!.role }));
  return { status: 'ok', value: { record, rules, listed, ...(check ? { signature: check } : {}) }, links };
}

function timeOfRecord(record: WalkedRecord, plugins: readonly RecordVerifier[]): Date | undefined {
  for (const plugin of plugins) {
    if (plugin.timeOf && plugin.kinds.includes(record.kind)) {
      const t = plugin.timeOf(record);
      if (t !== undefined) return t;
    }
  }
  const field = TIME_FIELDS[record.kind];
  const value = field ? (record.predicate as unknown as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/**
 * When each record was relied on: the target at the verification time, and a
 * linked record at the time of the nearest record above it that carries a
 * time (an output's model at the output's time). A record reached along
 * several paths takes the latest (it must hold at every one of them).
 */
function reliedTimes(
  roots: readonly string[],
  nodes: readonly WalkedNode<Loaded>[],
  at: Date,
  timeOf: (r: WalkedRecord) => Date | undefined,
): Map<string, number> {
  const relied = new Map<string, number>();
  for (const root of roots) relied.set(root, at.getTime());
  // Relaxation in breadth-first order; a DAG settles in at most (longest path) rounds.
  for (let round = 0; round <= nodes.length; round++) {
    let changed = false;
    for (const node of nodes) {
      if (node.result.status !== 'ok') continue;
      const mine = relied.get(node.id);
      if (mine === undefined) continue;
      const passed = timeOf(node.result.value.record)?.getTime() ?? mine;
      for (const link of node.result.links) {
        const current = relied.get(link);
        if (current === undefined || current < passed) {
          relied.set(link, passed);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  return relied;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether a statement names an artifact with this SHA-256: a subject, a dataset file, or an OMS `files` resource. */
function namesDigest(statement: Record<string, unknown>, kind: string, hex: string): boolean {
  if (Array.isArray(statement.subject)) {
    for (const s of statement.subject) if (isObject(s) && isObject(s.digest) && s.digest.sha256 === hex) return true;
  }
  const p = isObject(statement.predicate) ? statement.predicate : {};
  if (kind === 'dataset' && Array.isArray(p.files)) return p.files.some((f) => isObject(f) && f.sha256 === hex);
  if (kind === 'weights' && Array.isArray(p.resources)) {
    return p.resources.some((r) => isObject(r) && r.algorithm === 'sha256' && r.digest === hex);
  }
  return false;
}

/** The records in the store that name an artifact (not governance records, which name records, not artifacts). */
async function findArtifact(store: RecordSource | RecordStore, hex: string): Promise<string[]> {
  const list = (store as Partial<RecordStore>).list;
  if (typeof list !== 'function') throw new TypeError('"store" must be a RecordStore (with list()) to look an artifact up');
  const found: string[] = [];
  for await (const id of list.call(store)) {
    let got: { envelopeBytes: Uint8Array } | undefined;
    try {
      got = await store.get(id);
    } catch (err) {
      // A damaged record names nothing that can be trusted; the walk reports those it reaches.
      if (err instanceof VerificationError) continue;
      if (err instanceof ProvenantError && (DAMAGED_RECORD_CODES.has(err.code) || err.code === 'ERR_RECORD_NOT_FOUND')) continue;
      throw err;
    }
    if (!got) continue;
    let statement;
    try {
      const payload = isStoredRecord(got) ? got.payload : parseEnvelope(got.envelopeBytes).payload;
      statement = parseJson(payload, 'payload');
    } catch {
      continue;
    }
    if (!isObject(statement)) continue;
    const kind = kindOfPredicateType(statement.predicateType);
    if (kind === undefined || isGovernanceKind(kind)) continue;
    if (namesDigest(statement, kind, hex)) found.push(id.toString());
  }
  return [...new Set(found)].sort();
}

interface ResolvedTarget {
  target: string;
  roots: string[];
  given?: StoredRecord;
  /** For a receipt target: the decoded receipt and the content it must name. */
  receipt?: { receipt: OutputReceipt; content: Uint8Array };
}

async function resolveTarget(target: VerifyTarget, store: RecordSource | RecordStore, limits: EnvelopeLimits): Promise<ResolvedTarget> {
  const cid = CID.asCID(target);
  if (cid) {
    const id = parseRecordId(cid.toString()).toString();
    return { target: id, roots: [id] };
  }
  if (typeof target === 'string') {
    const id = parseRecordId(target).toString();
    return { target: id, roots: [id] };
  }
  if (target instanceof Uint8Array) {
    // Copied before the first await (the caller may reuse its buffer).
    const bytes = new Uint8Array(target);
    const parsed = parseEnvelope(bytes, limits);
    const id = recordId(parsed.payload);
    const given: StoredRecord = { ...parsed, id, envelopeBytes: bytes };
    return { target: id.toString(), roots: [id.toString()], given };
  }
  if (typeof target === 'object' && target !== null && 'receipt' in target) {
    const receipt = target.receipt instanceof Uint8Array || typeof target.receipt === 'string' ? decodeReceipt(target.receipt) : target.receipt;
    const content = typeof target.content === 'string' ? new TextEncoder().encode(target.content) : target.content;
    if (!(content instanceof Uint8Array)) throw new TypeError('"target.content" expected the output\'s bytes');
    const batch = receipt.batch.toString();
    return { target: `${batch}#${receipt.index}`, roots: [batch], receipt: { receipt, content: new Uint8Array(content) } };
  }
  if (typeof target === 'object' && target !== null && 'content' in target && target.content instanceof Uint8Array) {
    const hex = sha256Hex(target.content);
    return { target: `sha256:${hex}`, roots: await findArtifact(store, hex) };
  }
  if (typeof target === 'object' && target !== null && 'sha256' in target && typeof target.sha256 === 'string') {
    if (!/^[0-9a-f]{64}$/.test(target.sha256)) throw new TypeError('"target.sha256" expected 64 lower-case hex digits');
    return { target: `sha256:${target.sha256}`, roots: await findArtifact(store, target.sha256) };
  }
  throw new TypeError('"target" expected a record id, envelope bytes, { content: Uint8Array }, { sha256: hex } or { receipt, content }');
}

function pluginCheck(pc: PluginCheck, record: WalkedRecord, source: string): VerifyCheck {
  if (typeof pc?.check !== 'string' || typeof pc.ok !== 'boolean' || typeof pc.message !== 'string') {
    throw new TypeError(`${source} returned a check without check, ok and message`);
  }
  if (!pc.ok && typeof pc.code !== 'string') throw new TypeError(`${source} returned a failed ${pc.check} check without a code`);
  return {
    record: pc.record ?? record.idString,
    kind: pc.kind ?? record.kind,
    check: pc.check,
    ok: pc.ok,
    ...(pc.ok ? {} : { code: pc.code! }),
    message: pc.message,
    ...(pc.details?.length ? { details: [...pc.details] } : {}),
  };
}

/** Run a plug-in call, turning a VerificationError it throws into a failed check. */
async function fromPlugin<T>(
  call: () => Promise<T>,
  record: WalkedRecord,
  check: string,
): Promise<{ value: T } | { failed: VerifyCheck }> {
  try {
    return { value: await call() };
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    return {
      failed: {
        record: record.idString,
        kind: record.kind,
        check,
        ok: false,
        code: err.code,
        message: err.message,
        ...(err.details.length ? { details: err.details } : {}),
      },
    };
  }
}

/**
 * Verify a provenance chain against a trust policy: from the target, follow
 * every link breadth-first (each record once), and at each record check the
 * envelope, that the payload hashes to the id it was reached by, the schema
 * and kind rules, the signatures of the role the policy names for the kind
 * (its threshold of distinct keys; keys outside the role never count), each
 * link (present, of the right kind, with the digest the linker names, no
 * cycle), and what the policy and plug-ins require: governance approval,
 * revocations by time, maximum age, the weight files on disk. Unknown kinds,
 * dangling links, cycles and kinds the policy does not name fail closed.
 *
 * A failed check never throws: it is in the report, and `verified` is false.
 *
 * @param target a record id, envelope bytes, or an artifact (`{ content }` or `{ sha256 }`)
 * @param options store, policy, time, model path, plug-ins, limits
 * @returns the report: `verified`, every check, and the chain walked
 * @throws InputError for unusable input: a malformed id or envelope, an unreadable store,
 *   a missing or unreadable `modelPath`, a chain above `maxRecords` (`ERR_LIMIT_EXCEEDED`); AbortError
 * @throws TypeError for misuse (no policy, a bad target or time, an artifact target with a store that cannot list)
 * @example
 * ```ts
 * const store = await openStore('chain.car');
 * const policy = await loadPolicy('policy.yaml');
 * const report = await verifyChain(modelId, { store, policy, modelPath: 'models/tiny' });
 * if (!report.verified) for (const c of report.checks.filter((c) => !c.ok)) console.error(c.code, c.message);
 * ```
 */
export async function verifyChain(target: VerifyTarget, options: VerifyChainOptions): Promise<VerifyReport> {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { store, policy } = options;
  if (!store || typeof store.get !== 'function') throw new TypeError('"options.store" expected a record store');
  if (!policy || !(policy.roles instanceof Map) || !(policy.kinds instanceof Map)) {
    throw new TypeError('"options.policy" expected a TrustPolicy (loadPolicy, parsePolicy or policyFromKeys)');
  }
  const at = options.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new TypeError('"options.at" expected a valid Date');
  const limits = options.limits ?? {};
  const maxRecords = options.maxRecords ?? MAX_CHAIN_RECORDS;
  const governance = options.governance;
  const plugins: RecordVerifier[] = [...(governance ? [governance] : []), ...(options.verifiers ?? [])];

  const sigstoreAccess: SigstoreAccess = {
    ...(options.sigstore ? { verifier: options.sigstore } : {}),
    ...(options.sigstoreBundles ? { bundles: options.sigstoreBundles } : {}),
  };
  const resolved = await resolveTarget(target, store, limits);
  throwIfAborted(options.signal);
  const checks: VerifyCheck[] = [];
  if (resolved.roots.length === 0) {
    checks.push({
      record: resolved.target,
      kind: 'artifact',
      check: 'target',
      ok: false,
      code: 'ERR_TARGET_NOT_FOUND',
      message: `no record in the store names ${resolved.target}`,
    });
    return { verified: false, target: resolved.target, roots: [], at: at.toISOString(), checks, chain: [] };
  }

  const graph = await walkGraph(resolved.roots, (id, depth) => loadRecord(id, depth, store, policy, limits, resolved.given, sigstoreAccess), maxRecords);
  throwIfAborted(options.signal);
  const records = new Map<string, WalkedRecord>();
  for (const node of graph.nodes) if (node.result.status === 'ok') records.set(node.id, node.result.value.record);
  const context: VerifyContext = { policy, store, at, record: (id) => records.get(id) };
  const timeOf = (r: WalkedRecord): Date | undefined => timeOfRecord(r, plugins);
  const relied = reliedTimes(resolved.roots, graph.nodes, at, timeOf);
  const cycles = new Set(graph.backEdges.map((e) => `${e.from} ${e.to}`));
  const roots = new Set(resolved.roots);
  const weightsToCompare = options.modelPath !== undefined ? graph.nodes.find((n) => n.result.status === 'ok' && n.result.value.record.kind === 'weights') : undefined;
  if (options.modelPath !== undefined && !weightsToCompare) {
    checks.push({
      record: resolved.roots[0]!,
      kind: records.get(resolved.roots[0]!)?.kind ?? 'unknown',
      check: 'weights-files',
      ok: false,
      code: 'ERR_MODEL_MISMATCH',
      message: `the chain holds no weights record to compare ${options.modelPath} with`,
    });
  }

  const chain: ChainRecord[] = [];
  for (const node of graph.nodes) {
    throwIfAborted(options.signal);
    if (node.result.status === 'missing') {
      // A missing link is reported by the record that links it; a missing target here.
      if (roots.has(node.id)) {
        checks.push({ record: node.id, kind: 'unknown', check: 'target', ok: false, code: 'ERR_TARGET_NOT_FOUND', message: `record ${node.id} is not in the store` });
      }
      continue;
    }
    if (node.result.status === 'bad') {
      const b = node.result.value as BadRecord;
      checks.push({ record: node.id, kind: b.kind ?? 'unknown', check: b.check, ok: false, code: b.code, message: b.message, ...(b.details?.length ? { details: b.details } : {}) });
      chain.push({ id: node.id, kind: b.kind ?? 'unknown', depth: node.depth, signedBy: [], links: [] });
      continue;
    }
    const { record, signature, rules, listed } = node.result.value;
    const here = { record: record.idString, kind: record.kind };
    const rule: KindRule | undefined = policy.kinds.get(record.kind);
    const links: ChainLink[] = [];
    checks.push({ ...here, check: 'schema', ok: true, message: `a valid ${record.kind} record whose payload hashes to its id` });
    if (signature) checks.push(signature);

    // Links: present, of the kind their role requires, with the digest the linker names, not closing a cycle.
    for (const link of node.result.links) {
      const lr = rules.get(link) ?? { role: 'link' };
      links.push({ id: link, role: lr.role });
      const target = graph.byId.get(link);
      const what = `${lr.role} ${link}`;
      const linkCheck = (ok: boolean, message: string, code?: string): void => {
        checks.push({ ...here, check: 'link', ok, ...(code ? { code } : {}), message });
      };
      if (cycles.has(`${record.idString} ${link}`)) linkCheck(false, `${what} closes a cycle back to a record that links here`, 'ERR_LINK_CYCLE');
      else if (!target || target.result.status === 'missing') linkCheck(false, `${what} is not in the store`, 'ERR_LINK_MISSING');
      else if (target.result.status === 'bad') {
        const b = target.result.value as BadRecord;
        linkCheck(false, `${what} cannot be read as a record (${b.code})`, 'ERR_LINK_UNVERIFIED');
      } else {
        const linked = target.result.value.record;
        const linkedDigest = linked.statement.subject[0]?.digest.sha256;
        if (lr.kinds && !lr.kinds.includes(linked.kind)) linkCheck(false, `${what} is a ${linked.kind} record, expected ${lr.kinds.join(' or ')}`, 'ERR_LINK_KIND');
        else if (lr.sha256 !== undefined && linkedDigest !== lr.sha256) {
          linkCheck(false, `${what} has digest ${linkedDigest ?? 'none'}, but this record names ${lr.sha256}`, 'ERR_DIGEST_MISMATCH');
        } else linkCheck(true, `${what} (${linked.kind})`);
      }
    }

    links.push(...listed);

    if (weightsToCompare === node) checks.push(await compareWeightFiles(record, policy, options));

    // Kind-specific verifiers: governance kinds need the governance verifier; others what the caller plugged in.
    if (isGovernanceKind(record.kind) && !governance) {
      checks.push({
        ...here,
        check: 'governance',
        ok: false,
        code: 'ERR_GOVERNANCE_UNAVAILABLE',
        message: `a ${record.kind} record is trusted through its electorate, and no governance verifier was given`,
      });
    }
    for (const plugin of plugins) {
      if (!plugin.kinds.includes(record.kind)) continue;
      const out = await fromPlugin(() => plugin.verifyRecord(record, context), record, isGovernanceKind(record.kind) ? 'governance' : record.kind);
      if ('failed' in out) checks.push(out.failed);
      else for (const pc of out.value) checks.push(pluginCheck(pc, record, 'a record verifier'));
    }

    // When the record was relied on: the verification time for the target, an output's time for its model.
    const reliedAt = relied.get(record.idString) ?? at.getTime();
    const action = rule?.approval;
    if (action !== undefined) {
      if (!governance) {
        checks.push({
          ...here,
          check: 'approval',
          ok: false,
          code: 'ERR_GOVERNANCE_UNAVAILABLE',
          message: `the policy requires an approved ${action} decision for ${record.kind} records, and no governance verifier was given`,
        });
      } else {
        // Approved by the time it was relied on: an output made before its model was adopted does not count.
        const asOf = reliedAt === at.getTime() ? context : { ...context, at: new Date(reliedAt) };
        const out = await fromPlugin(() => governance.approvalsFor(record, action, asOf), record, 'approval');
        if ('failed' in out) checks.push(out.failed);
        else {
          const result = out.value;
          for (const d of result.decisions) if (!links.some((l) => l.id === d)) links.push({ id: d, role: 'approval' });
          checks.push(
            result.approved
              ? { ...here, check: 'approval', ok: true, message: `approved (${action}) by ${result.decisions.join(', ') || 'a decision'}` }
              : { ...here, check: 'approval', ok: false, code: 'ERR_APPROVAL_MISSING', message: `no valid decision approved ${action} for this ${record.kind} record` },
          );
          for (const pc of result.checks) checks.push(pluginCheck(pc, record, 'the governance verifier'));
        }
      }
    }

    if (!isGovernanceKind(record.kind)) {
      if (governance) {
        const out = await fromPlugin(() => governance.revocationsOf(record, context), record, 'revocation');
        if ('failed' in out) checks.push(out.failed);
        else {
          const hits = out.value.filter((r) => r.effectiveAt.getTime() <= reliedAt);
          checks.push(
            hits.length === 0
              ? { ...here, check: 'revocation', ok: true, message: `not revoked as of ${new Date(reliedAt).toISOString()}` }
              : {
                  ...here,
                  check: 'revocation',
                  ok: false,
                  code: 'ERR_REVOKED',
                  message: `revoked by ${hits.map((h) => `${h.decision} (effective ${h.effectiveAt.toISOString()})`).join(', ')}, before it was relied on at ${new Date(reliedAt).toISOString()}`,
                },
          );
        }
      } else if (policy.genesis !== undefined) {
        checks.push({
          ...here,
          check: 'revocation',
          ok: false,
          code: 'ERR_GOVERNANCE_UNAVAILABLE',
          message: 'the policy names an electorate (governance.genesis), and no governance verifier was given to look for revocations',
        });
      }
    }

    if (record.kind === 'output') {
      const predicate = record.predicate as OutputPredicate;
      const model = records.get(canonicalId(predicate.model));
      if (governance && model) {
        const made = timeOf(record) ?? at;
        const out = await fromPlugin(() => governance.parameterLimitsFor(model, made, context), record, 'parameters');
        checks.push('failed' in out ? out.failed : parametersCheck(predicate.parameters, out.value, here));
      } else if (!governance && policy.genesis !== undefined) {
        checks.push({
          ...here,
          check: 'parameters',
          ok: false,
          code: 'ERR_GOVERNANCE_UNAVAILABLE',
          message: 'the policy names an electorate (governance.genesis), and no governance verifier was given to find the parameter limits in force',
        });
      }
    }

    const time = timeOf(record);
    if (time !== undefined) {
      const maxAgeMs = rule?.maxAgeMs ?? (isGovernanceKind(record.kind) ? undefined : policy.maxAgeMs);
      const age = at.getTime() - time.getTime();
      if (age < -CLOCK_SKEW_MS) {
        checks.push({ ...here, check: 'age', ok: false, code: 'ERR_RECORD_IN_FUTURE', message: `made at ${time.toISOString()}, after the verification time ${at.toISOString()}` });
      } else if (maxAgeMs !== undefined && age > maxAgeMs) {
        checks.push({ ...here, check: 'age', ok: false, code: 'ERR_RECORD_TOO_OLD', message: `made at ${time.toISOString()}, older than the policy's maximum age (${maxAgeMs / 1000} s)` });
      } else {
        checks.push({ ...here, check: 'age', ok: true, message: `made at ${time.toISOString()}` });
      }
    }

    const summary = summaryOf(record);
    chain.push({ id: record.idString, kind: record.kind, depth: node.depth, ...(summary ? { summary } : {}), signedBy: [...record.signedBy], links });
  }
  if (resolved.receipt) checks.push(...(await receiptChecks(resolved.receipt, records, governance, context)));
  return {
    verified: checks.length > 0 && checks.every((c) => c.ok),
    target: resolved.target,
    roots: resolved.roots,
    at: at.toISOString(),
    checks,
    chain,
  };
}

/**
 * The checks of a receipt target: the content is the one its leaf names, the
 * inclusion proof reaches the batch record's Merkle root for the batch's
 * size, and the leaf's generation parameters respect the limits in force
 * when it was made. The batch record itself (signature, model, revocation)
 * is checked by the walk like any record.
 */
async function receiptChecks(
  target: { receipt: OutputReceipt; content: Uint8Array },
  records: ReadonlyMap<string, WalkedRecord>,
  governance: GovernanceVerifier | undefined,
  context: VerifyContext,
): Promise<VerifyCheck[]> {
  const { receipt, content } = target;
  const batchId = receipt.batch.toString();
  const here = { record: `${batchId}#${receipt.index}`, kind: 'output-receipt' };
  const batch = records.get(batchId);
  if (!batch || batch.kind !== 'output-batch') {
    // A missing batch is reported by the walk (target); another kind is reported here.
    return batch ? [{ ...here, check: 'receipt', ok: false, code: 'ERR_LINK_KIND', message: `the receipt names ${batchId}, a ${batch.kind} record, not an output batch` }] : [];
  }
  const leafBytes = new Uint8Array(receipt.leafBytes);
  let leaf: OutputLeaf;
  try {
    leaf = parseOutputLeaf(leafBytes);
  } catch (err) {
    return [{ ...here, check: 'receipt', ok: false, code: 'ERR_MALFORMED', message: `the receipt's leaf: ${(err as Error).message}` }];
  }
  const checks: VerifyCheck[] = [];
  const sha = sha256Hex(content);
  if (sha !== leaf.digest.sha256 || content.length !== leaf.size) {
    checks.push({ ...here, check: 'receipt', ok: false, code: 'ERR_DIGEST_MISMATCH', message: `the receipt is for content with sha256 ${leaf.digest.sha256} (${leaf.size} bytes), not this content (sha256 ${sha}, ${content.length} bytes)` });
  }
  const predicate = batch.predicate as { count: number };
  try {
    checkReceiptProof(receipt, leafBytes, { id: batchId, predicate, statement: batch.statement });
    checks.push({ ...here, check: 'receipt', ok: true, message: `leaf ${receipt.index} of ${receipt.size} is in the batch's Merkle tree (RFC 6962)` });
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    checks.push({ ...here, check: 'receipt', ok: false, code: err.code, message: err.message });
  }
  const model = records.get(canonicalId((batch.predicate as { model: string }).model));
  if (governance && model) {
    const made = new Date(leaf.created);
    const out = await fromPlugin(() => governance.parameterLimitsFor(model, made, context), batch, 'parameters');
    checks.push('failed' in out ? { ...out.failed, ...here } : parametersCheck(leaf.parameters, out.value, here));
  } else if (!governance && context.policy.genesis !== undefined) {
    checks.push({ ...here, check: 'parameters', ok: false, code: 'ERR_GOVERNANCE_UNAVAILABLE', message: 'the policy names an electorate, and no governance verifier was given to find the parameter limits in force' });
  }
  return checks;
}

/** An output's generation parameters against the limits governance set for its model. */
function parametersCheck(parameters: OutputParameters, limits: readonly ParameterLimit[], here: { record: string; kind: string }): VerifyCheck {
  try {
    checkParameters(parameters, checkLimits(limits));
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    return { ...here, check: 'parameters', ok: false, code: err.code, message: err.message.split('\n')[0]!, ...(err.details.length ? { details: err.details } : {}) };
  }
  return { ...here, check: 'parameters', ok: true, message: limits.length ? `within the ${limits.length} parameter limits in force` : 'no parameter limits in force' };
}

/** Re-hash the weight files on disk and compare them with the weights record (the OMS verifier does the work). */
async function compareWeightFiles(record: WalkedRecord, policy: TrustPolicy, options: VerifyChainOptions): Promise<VerifyCheck> {
  const here = { record: record.idString, kind: record.kind, check: 'weights-files' };
  const role = policy.roles.get(policy.kinds.get(record.kind)?.signedBy ?? '');
  const key = role?.keys.find((k) => record.signedBy.includes(k.keyId));
  if (!key) {
    return { ...here, ok: false, code: 'ERR_LINK_UNVERIFIED', message: `${options.modelPath} was not compared: the weights record is not signed by a trusted key` };
  }
  // Loaded only when asked: the verifier does not otherwise need hashing or its worker pool.
  const { verifyModel } = await import('../records/oms/verify-model.js');
  const bundle = utf8(JSON.stringify(buildKeyBundle(record.stored.envelope, key)));
  try {
    const verified = await verifyModel(options.modelPath!, {
      key,
      signature: bundle,
      ...(options.pool ? { pool: options.pool } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return { ...here, ok: true, message: `${verified.manifest.resources.length} resources in ${options.modelPath} match the weights record` };
  } catch (err) {
    // A model that differs is a finding; a model path that cannot be read is bad input (thrown).
    if (!(err instanceof VerificationError)) throw err;
    return { ...here, ok: false, code: err.code, message: err.message.split('\n')[0]!, ...(err.details.length ? { details: err.details } : {}) };
  }
}
