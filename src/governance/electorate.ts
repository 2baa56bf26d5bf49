import { importPublicKey, type KeyInput, type PublicKey, type Signer } from '../envelope/keys.js';
import { pae } from '../envelope/pae.js';
import { InputError, VerificationError } from '../lib/errors.js';
import { canonicalJson } from '../lib/json.js';
import { createRecord } from '../records/create-record.js';
import { electorateSubject } from '../records/governance-kinds.js';
import type { ElectorateMember, ElectoratePredicate, MemberKey, VotingRules } from '../records/schema/governance.js';
import type { CreatedRecord } from '../records/types.js';
import type { RecordIdInput, RecordStore } from '../store/types.js';
import { readRecord, type ReadRecord } from './read.js';
import { checkRotation, type RotationCheck, type SignerSet } from './rotation.js';

/** Longest electorate history followed back to its genesis. */
export const MAX_ELECTORATE_VERSIONS = 10_000;

/** A member with its keys imported. */
export interface Member {
  id: string;
  name?: string;
  weight: number;
  roles: readonly string[];
  keys: readonly PublicKey[];
}

/** An electorate version whose history back to its genesis holds. */
export interface VerifiedElectorate {
  id: string;
  name: string;
  version: number;
  predicate: ElectoratePredicate;
  record: ReadRecord<'electorate'>;
  members: ReadonlyMap<string, Member>;
  /** Sum of every member's weight. */
  totalWeight: number;
  /** Id of the genesis (version 1) this version descends from. */
  genesis: string;
  /** True when the genesis is one the caller pinned. */
  pinned: boolean;
  /** Ids from the genesis to this version. */
  history: string[];
  /** The rotation check of each version, genesis first. */
  rotations: RotationCheck[];
}

/** Member keys already imported, by their JWK text: an electorate's keys are read again for every record it governs. */
const importedKeys = new Map<string, Promise<PublicKey>>();
const MAX_CACHED_KEYS = 10_000;

function importMemberKey(jwk: MemberKey): Promise<PublicKey> {
  const text = canonicalJson(jwk);
  let key = importedKeys.get(text);
  if (key === undefined) {
    if (importedKeys.size >= MAX_CACHED_KEYS) importedKeys.clear();
    key = importPublicKey(jwk as unknown as Parameters<typeof importPublicKey>[0]);
    importedKeys.set(text, key);
    // A key that does not import is not remembered.
    key.catch(() => importedKeys.delete(text));
  }
  return key;
}

/**
 * The keys of an electorate's members, imported, and the members as a signer
 * set for the rotation rule (one principal per member).
 *
 * @param predicate the electorate predicate (schema-valid)
 * @returns the members by id and the signer set
 * @throws InputError `ERR_KEY_INVALID`, `ERR_KEY_UNSUPPORTED` for a member key that does not import
 * @example
 * ```ts
 * const { members, signers } = await electorateMembers(record.predicate);
 * ```
 */
export async function electorateMembers(predicate: ElectoratePredicate): Promise<{ members: Map<string, Member>; signers: SignerSet }> {
  const members = new Map<string, Member>();
  for (const m of predicate.members) {
    const keys = await Promise.all(m.keys.map(importMemberKey));
    members.set(m.id, { id: m.id, ...(m.name !== undefined ? { name: m.name } : {}), weight: m.weight, roles: m.roles, keys });
  }
  const principals = [...members.values()].map((m) => ({ id: m.id, keys: m.keys }));
  return { members, signers: { principals, threshold: predicate.threshold } };
}

/**
 * Load electorate version `id` and check its whole history: each version is
 * version - 1's successor under the same name and is signed by a threshold
 * of the previous version's members AND a threshold of its own (TUF root
 * rotation); the genesis by a threshold of its own. With `genesis`, the
 * history must start at one of those ids.
 *
 * @param source the store
 * @param id the electorate version
 * @param options `genesis`: the trusted genesis ids (absent: the history's own genesis, reported as not pinned)
 * @returns the verified electorate
 * @throws VerificationError `ERR_ELECTORATE_UNTRUSTED`, `ERR_ELECTORATE_VERSION`, `ERR_ROTATION_OLD_THRESHOLD`,
 *   `ERR_ROTATION_NEW_THRESHOLD`, `ERR_LINK_MISSING`, `ERR_SCHEMA`, `ERR_PREDICATE_TYPE`
 * @example
 * ```ts
 * const electorate = await loadElectorate(store, proposal.predicate.electorate, { genesis: [policy.genesis] });
 * ```
 */
export async function loadElectorate(
  source: RecordStore,
  id: RecordIdInput,
  options: { genesis?: readonly string[] } = {},
): Promise<VerifiedElectorate> {
  const chain: ReadRecord<'electorate'>[] = [];
  let current: string = String(id);
  for (;;) {
    const record = await readRecord(source, current, ['electorate']);
    const later = chain[0];
    if (later !== undefined) {
      if (record.predicate.version !== later.predicate.version - 1 || record.predicate.name !== later.predicate.name) {
        throw new VerificationError(
          'ERR_ELECTORATE_VERSION',
          `electorate ${later.idString} (${later.predicate.name} v${later.predicate.version}) names as previous ${record.idString} ` +
            `(${record.predicate.name} v${record.predicate.version}), not version ${later.predicate.version - 1} of the same electorate`,
        );
      }
    }
    chain.unshift(record);
    if (record.predicate.previous === undefined) break;
    if (chain.length >= MAX_ELECTORATE_VERSIONS) {
      throw new VerificationError('ERR_ELECTORATE_VERSION', `electorate ${String(id)} has more than ${MAX_ELECTORATE_VERSIONS} versions`);
    }
    current = record.predicate.previous;
  }
  const genesis = chain[0]!.idString;
  const pinned = options.genesis !== undefined;
  if (pinned && !options.genesis!.includes(genesis)) {
    throw new VerificationError(
      'ERR_ELECTORATE_UNTRUSTED',
      `electorate ${String(id)} descends from genesis ${genesis}, which is not a trusted genesis (${options.genesis!.join(', ') || 'none given'})`,
    );
  }
  let previous: SignerSet | undefined;
  let members = new Map<string, Member>();
  const rotations: RotationCheck[] = [];
  for (const record of chain) {
    const loaded = await electorateMembers(record.predicate);
    const message = pae(record.stored.payloadType, record.stored.payload);
    const check = checkRotation(previous, loaded.signers, message, record.stored.signatures);
    if (!check.ok) {
      throw new VerificationError(check.code!, `electorate ${record.idString} (${record.predicate.name} v${record.predicate.version}): ${check.message}`);
    }
    rotations.push(check);
    previous = loaded.signers;
    members = loaded.members;
  }
  const last = chain[chain.length - 1]!;
  let totalWeight = 0;
  for (const m of last.predicate.members) totalWeight += m.weight;
  return {
    id: last.idString,
    name: last.predicate.name,
    version: last.predicate.version,
    predicate: last.predicate,
    record: last,
    members,
    totalWeight,
    genesis,
    pinned,
    history: chain.map((r) => r.idString),
    rotations,
  };
}

/** A member as given to {@link createElectorate}: keys as imported keys or anything `importPublicKey` reads. */
export interface ElectorateMemberInput {
  id: string;
  name?: string;
  keys: readonly (PublicKey | KeyInput)[];
  weight: number;
  roles?: readonly string[];
}

/** Input of {@link createElectorate}. */
export interface CreateElectorateInput {
  name: string;
  members: readonly ElectorateMemberInput[];
  /** Distinct members who must sign (this version, and the next one as its predecessor). */
  threshold: number;
  rules: VotingRules;
  /** The version this one replaces (absent for a genesis). */
  previous?: VerifiedElectorate;
  /** Members' signers: of this version's members, and for an amendment of the previous version's too. */
  signers: readonly Signer[];
  /** Sign even if the thresholds are not met yet (other members co-sign later; see `cosignRecord`). */
  partial?: boolean;
  created?: Date;
}

/** A newly signed electorate version and how its thresholds stand. */
export interface CreatedElectorate extends CreatedRecord<'electorate'> {
  rotation: RotationCheck;
}

function isPublicKey(value: PublicKey | KeyInput): value is PublicKey {
  return typeof value === 'object' && value !== null && 'keyObject' in value && 'keyId' in value;
}

/**
 * A public key as the JWK a member entry holds (only the public parameters).
 *
 * @param key the key
 * @returns `{ kty, crv, x, y? }`
 * @example
 * ```ts
 * memberKey(await importPublicKey(pem))
 * ```
 */
export function memberKey(key: PublicKey): MemberKey {
  const jwk = key.keyObject.export({ format: 'jwk' }) as { kty: 'OKP' | 'EC'; crv: MemberKey['crv']; x: string; y?: string };
  return jwk.y === undefined ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x! } : { kty: jwk.kty, crv: jwk.crv, x: jwk.x!, y: jwk.y };
}

/**
 * Create and sign an electorate version: the genesis, or (with `previous`)
 * the next version. Refuses to produce a version that would not verify
 * (thresholds not met) unless `partial`, for signatures collected over time.
 *
 * @param input name, members, threshold, rules, previous version, signers
 * @returns the record and its rotation check
 * @throws VerificationError `ERR_ROTATION_OLD_THRESHOLD`, `ERR_ROTATION_NEW_THRESHOLD` (not partial), `ERR_SCHEMA`
 * @throws InputError `ERR_KEY_INVALID`
 * @example
 * ```ts
 * const genesis = await createElectorate({ name: 'stewards', members, threshold: 2, rules, signers: [alice, bob] });
 * ```
 */
export async function createElectorate(input: CreateElectorateInput): Promise<CreatedElectorate> {
  const members: ElectorateMember[] = [];
  for (const m of input.members) {
    const keys: MemberKey[] = [];
    for (const k of m.keys) keys.push(memberKey(isPublicKey(k) ? k : await importPublicKey(k)));
    members.push({ id: m.id, ...(m.name !== undefined ? { name: m.name } : {}), keys, weight: m.weight, roles: [...(m.roles ?? [])] });
  }
  const predicate: ElectoratePredicate = {
    name: input.name,
    version: input.previous ? input.previous.version + 1 : 1,
    ...(input.previous ? { previous: input.previous.id } : {}),
    members,
    threshold: input.threshold,
    rules: input.rules,
    ...(input.created ? { created: input.created.toISOString() } : {}),
  };
  if (input.previous && input.previous.name !== input.name) {
    throw new InputError('ERR_USAGE', `an amendment keeps the electorate's name (${input.previous.name}), got ${input.name}`);
  }
  const record = await createRecord({ kind: 'electorate', subject: [electorateSubject(predicate)], predicate, signers: input.signers });
  const rotation = await electorateRotation(record, input.previous);
  if (!rotation.ok && !input.partial) throw new VerificationError(rotation.code!, `electorate ${predicate.name} v${predicate.version}: ${rotation.message}`);
  return { ...record, rotation };
}

async function electorateRotation(record: CreatedRecord<'electorate'>, previous: VerifiedElectorate | undefined): Promise<RotationCheck> {
  const { signers } = await electorateMembers(record.statement.predicate);
  const before = previous
    ? { principals: [...previous.members.values()].map((m) => ({ id: m.id, keys: m.keys })), threshold: previous.predicate.threshold }
    : undefined;
  const signatures = record.envelope.signatures.map((s) => ({ sig: new Uint8Array(Buffer.from(s.sig, 'base64')), ...(s.keyid ? { keyid: s.keyid } : {}) }));
  return checkRotation(before, signers, pae(record.envelope.payloadType, record.payload), signatures);
}

/**
 * The member whose keys include `key`.
 *
 * @param electorate the electorate
 * @param key the key
 * @returns the member, or undefined
 * @example
 * ```ts
 * const member = memberOfKey(electorate, signer.publicKey);
 * ```
 */
export function memberOfKey(electorate: VerifiedElectorate, key: PublicKey): Member | undefined {
  for (const m of electorate.members.values()) if (m.keys.some((k) => k.keyId === key.keyId)) return m;
  return undefined;
}
