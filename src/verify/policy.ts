import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { InputError, ProvenantError } from '../lib/errors.js';
import { readRegularFile } from '../lib/fs.js';
import { isObject, parseJson, type JsonValue } from '../lib/json.js';
import { importPublicKey, type KeyAlgorithm, type PublicKey } from '../envelope/keys.js';
import { RECORD_KINDS } from '../records/kinds.js';
import type { FieldError } from '../records/schema/types.js';
import { checkSchema, FieldErrors, propertyPath } from '../records/schema/validate.js';
import { GOVERNANCE_KINDS } from './governance.js';
import { POLICY_MAPS, policySchema } from './policy-schema.js';

/**
 * A Sigstore identity a role trusts: the certificate's SAN, exactly (`san`)
 * or by a pattern matched against the whole SAN (`sanPattern`), and the OIDC
 * issuer, exactly.
 */
export interface PolicySigstoreIdentity {
  readonly san?: string;
  readonly sanPattern?: string;
  readonly issuer: string;
}

/** A role of a trust policy: the keys (or Sigstore identities) trusted to act in it and how many must sign. */
export interface PolicyRole {
  readonly name: string;
  /** Distinct keys (by key id), each of an algorithm the policy accepts (empty for a Sigstore-only role). */
  readonly keys: readonly PublicKey[];
  /** How many distinct keys of the role must sign (1 to `keys.length`; 1 for a Sigstore-only role). */
  readonly threshold: number;
  /**
   * Sigstore identities trusted for the role (any one of them): a record
   * whose Sigstore bundle has a certificate for one of them is signed by the
   * role, whatever its keys. Verified by the `sigstore` plug-in of `verifyChain`.
   */
  readonly sigstore?: readonly PolicySigstoreIdentity[];
  /** Absolute path of the Sigstore trusted root for `sigstore` (default: the binding's public-good root). */
  readonly trustedRoot?: string;
}

/** What the records of one kind require. */
export interface KindRule {
  /** The role whose threshold must sign every record of the kind. */
  readonly signedBy: string;
  /** A governance action an approved decision must have taken on the record (e.g. `adopt-model`). */
  readonly approval?: string;
  /** Largest age, in milliseconds, of a record of this kind that carries a time (overrides the policy's). */
  readonly maxAgeMs?: number;
}

/**
 * A validated trust policy: nothing is trusted that it does not name. Maps
 * are keyed by names from the policy file, so they are `Map`s (no prototype
 * keys to confuse).
 */
export interface TrustPolicy {
  readonly version: 1;
  /** Role name to role. */
  readonly roles: ReadonlyMap<string, PolicyRole>;
  /** Record kind to its rule. A kind without a rule is not trusted. */
  readonly kinds: ReadonlyMap<string, KindRule>;
  /** Key algorithms accepted. */
  readonly algorithms: readonly KeyAlgorithm[];
  /** Largest age, in milliseconds, of a record that carries a time. */
  readonly maxAgeMs?: number;
  /** Id of the trusted genesis electorate record. */
  readonly genesis?: string;
  /** Where the policy came from, for messages (a path, or `(inline)`). */
  readonly source: string;
}

/**
 * A trust policy that cannot be used: unreadable, not YAML/JSON, or invalid.
 * `fields` lists every bad field path (`policy.roles.curator.threshold`), so
 * one run shows every problem. Exit code 2: a bad policy is bad input, not a
 * failed verification.
 *
 * @example
 * ```ts
 * try { await loadPolicy('policy.yaml') }
 * catch (err) { if (err instanceof PolicyError) for (const f of err.fields) console.error(`${f.path}: ${f.message}`) }
 * ```
 */
export class PolicyError extends InputError {
  /** The bad fields, in document order (at most 100). */
  readonly fields: readonly FieldError[];
  /** How many bad fields there were, including any left out of `fields`. */
  readonly fieldCount: number;

  /**
   * @param source where the policy came from
   * @param fields the bad fields
   * @param fieldCount the total count
   * @param options the underlying error
   */
  constructor(source: string, fields: readonly FieldError[], fieldCount = fields.length, options?: { cause?: unknown }) {
    const lines = fields.map((f) => `${f.path}: ${f.message}`);
    if (fieldCount > fields.length) lines.push(`...and ${fieldCount - fields.length} more`);
    super(
      'ERR_POLICY_INVALID',
      `the trust policy ${source} is invalid (${fieldCount} ${fieldCount === 1 ? 'problem' : 'problems'}):\n  ${lines.join('\n  ')}`,
      options,
    );
    this.fields = fields;
    this.fieldCount = fieldCount;
  }
}

/** Largest policy file read, in bytes. */
export const MAX_POLICY_BYTES = 1024 * 1024;
/** Largest key file a policy may name, in bytes. */
const MAX_KEY_FILE_BYTES = 64 * 1024;
/** Most YAML alias expansions (a bound against "billion laughs"). */
const MAX_YAML_ALIASES = 64;
/** Deepest nesting accepted in a policy document. */
const MAX_POLICY_DEPTH = 16;

/** Algorithms accepted when a policy does not say. */
export const DEFAULT_POLICY_ALGORITHMS: readonly KeyAlgorithm[] = Object.freeze(['ed25519', 'p256', 'p384']);

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Milliseconds of a policy duration (`90m`, `36h`, `365d`, `52w`).
 *
 * @param text the duration
 * @returns milliseconds, or undefined when `text` is not a duration
 * @throws nothing
 * @example
 * ```ts
 * parseDuration('365d') // 31536000000
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const m = /^([1-9][0-9]{0,8})([smhdw])$/.exec(text);
  return m ? Number(m[1]) * DURATION_UNITS[m[2]!]! : undefined;
}

/** Options of {@link parsePolicy}. */
export interface ParsePolicyOptions {
  /** Directory key file paths are relative to (default: the current directory). */
  baseDir?: string;
  /** How text is parsed: `yaml` (default; JSON is YAML too) or `json` (strict JSON). */
  format?: 'yaml' | 'json';
  /** Where the policy came from, for messages (default `(inline)`). */
  source?: string;
}

function fail(source: string, path: string, message: string, cause?: unknown): PolicyError {
  return new PolicyError(source, [{ path, message }], 1, cause === undefined ? undefined : { cause });
}

/**
 * Copy a parsed YAML value into plain JSON values with null-prototype
 * objects, refusing what JSON cannot hold and `__proto__` keys.
 */
function toJsonValue(value: unknown, path: string, depth: number, errors: FieldErrors): JsonValue | undefined {
  if (depth > MAX_POLICY_DEPTH) {
    errors.add(path, `nests deeper than ${MAX_POLICY_DEPTH} levels`);
    return undefined;
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    errors.add(path, `expected a finite number, got ${value}`);
    return undefined;
  }
  if (Array.isArray(value)) return value.map((v, i) => toJsonValue(v, `${path}[${i}]`, depth + 1, errors) ?? null);
  if (isObject(value)) {
    const out = Object.create(null) as { [key: string]: JsonValue };
    for (const key of Object.keys(value)) {
      if (key === '__proto__') {
        errors.add(propertyPath(path, key), '"__proto__" keys are not accepted');
        continue;
      }
      const v = toJsonValue(value[key], propertyPath(path, key), depth + 1, errors);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  errors.add(path, `expected a JSON value (string, number, boolean, null, list or map), got ${typeof value}`);
  return undefined;
}

/**
 * Parse YAML strictly: YAML 1.2 core schema only (no custom or 1.1 tags, no
 * merge keys), unique keys, string keys, one document, bounded aliases.
 * Anything the parser warns about (an unresolved tag) is an error too.
 */
function parseYaml(text: string, source: string): JsonValue {
  let docs;
  try {
    docs = parseAllDocuments(text, {
      version: '1.2',
      schema: 'core',
      merge: false,
      resolveKnownTags: false,
      uniqueKeys: true,
      stringKeys: true,
      strict: true,
      prettyErrors: true,
      logLevel: 'silent',
    });
  } catch (err) {
    throw fail(source, 'policy', `is not valid YAML: ${(err as Error).message}`, err);
  }
  // An empty file is an empty document (null), which the schema then refuses.
  if (docs.length === 0) return null;
  if (docs.length > 1) throw fail(source, 'policy', `is not valid YAML for a policy: it holds ${docs.length} documents, expected one`);
  const doc = docs[0]!;
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length) {
    const errors = new FieldErrors();
    for (const p of problems) errors.add('policy', `is not valid YAML: ${p.message.split('\n')[0]}`);
    throw new PolicyError(source, errors.list, errors.count);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    throw fail(source, 'policy', `is not acceptable YAML: ${(err as Error).message}`, err);
  }
  const errors = new FieldErrors();
  const json = toJsonValue(value, 'policy', 0, errors);
  if (errors.count) throw new PolicyError(source, errors.list, errors.count);
  return json ?? null;
}

/**
 * Read a trust policy file (YAML, or JSON when its name ends in `.json`),
 * load the keys it names (relative to the file), and validate it.
 *
 * @param path the policy file
 * @returns the policy
 * @throws PolicyError (`ERR_POLICY_INVALID`, an InputError) for an unreadable, unparsable or invalid
 *   policy, listing every bad field
 * @example
 * ```ts
 * const policy = await loadPolicy('trust/policy.yaml');
 * const report = await verifyChain(id, { store, policy });
 * ```
 */
export async function loadPolicy(path: string): Promise<TrustPolicy> {
  if (typeof path !== 'string' || path === '') throw new TypeError('"path" expected a non-empty string');
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, 'read the trust policy', MAX_POLICY_BYTES);
  } catch (err) {
    if (err instanceof ProvenantError) throw fail(path, 'policy', err.message, err);
    throw err;
  }
  const format = extname(path).toLowerCase() === '.json' ? 'json' : 'yaml';
  return parsePolicy(bytes, { baseDir: dirname(resolve(path)), format, source: path });
}

/**
 * Validate a trust policy given as YAML/JSON text or bytes, or as an
 * already-parsed document, and load the keys it names.
 *
 * Every problem is collected before failing: schema violations, a role or
 * kind name that is not allowed, a kind provenant does not know, a
 * `signedBy` naming no role, a key file that is missing or unreadable or a
 * private key, a key of an algorithm the policy does not accept, the same key
 * twice in a role, a threshold above the role's key count, an `approval`
 * without `governance.genesis`.
 *
 * @param input the policy text or bytes (UTF-8), or a parsed document
 * @param options where key paths are relative to, the text format, the source name
 * @returns the policy
 * @throws PolicyError (`ERR_POLICY_INVALID`, an InputError) listing every bad field
 * @example
 * ```ts
 * const policy = await parsePolicy(
 *   { version: 1, roles: { publisher: { keys: ['keys/publisher.pub'] } }, kinds: { model: { signedBy: 'publisher' } } },
 *   { baseDir: '/etc/provenant' },
 * );
 * ```
 */
export async function parsePolicy(input: string | Uint8Array | object, options: ParsePolicyOptions = {}): Promise<TrustPolicy> {
  const source = options.source ?? '(inline)';
  let value: unknown;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
    if (size > MAX_POLICY_BYTES) throw fail(source, 'policy', `is ${size} bytes, above the limit of ${MAX_POLICY_BYTES}`);
    let text: string;
    try {
      text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (err) {
      throw fail(source, 'policy', 'is not valid UTF-8', err);
    }
    if (options.format === 'json') {
      try {
        value = parseJson(text, 'the policy', { maxBytes: MAX_POLICY_BYTES, maxDepth: MAX_POLICY_DEPTH });
      } catch (err) {
        if (err instanceof ProvenantError) throw fail(source, 'policy', err.message, err);
        throw err;
      }
    } else value = parseYaml(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, source);
  } else {
    const errors = new FieldErrors();
    value = toJsonValue(input, 'policy', 0, errors);
    if (errors.count) throw new PolicyError(source, errors.list, errors.count);
  }
  return buildPolicy(value, options.baseDir ?? process.cwd(), source);
}

interface RoleDoc {
  keys?: string[];
  sigstore?: { san?: string; sanPattern?: string; issuer: string }[];
  trustedRoot?: string;
  threshold?: number;
}
interface KindDoc {
  signedBy: string;
  approval?: string;
  maxAge?: string;
}

/** The map entries of `field` that are shaped right, after checking every name and value. */
function checkMap<T>(doc: Record<string, unknown>, field: keyof typeof POLICY_MAPS, errors: FieldErrors): Map<string, T> {
  const out = new Map<string, T>();
  const value = doc[field];
  if (!isObject(value)) return out;
  const map = POLICY_MAPS[field];
  const names = Object.keys(value);
  if (names.length > map.maxEntries) errors.add(`policy.${field}`, `expected at most ${map.maxEntries} entries, got ${names.length}`);
  const pattern = new RegExp(map.namePattern, 'u');
  for (const name of names) {
    const path = propertyPath(`policy.${field}`, name);
    if (!pattern.test(name)) {
      errors.add(path, `is not an allowed name: expected ${map.nameHint}`);
      continue;
    }
    const before = errors.count;
    checkSchema(map.value, value[name], path, errors);
    if (errors.count === before) out.set(name, value[name] as T);
  }
  return out;
}

function isPrivateKeyText(text: string): boolean {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return true;
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return false;
  try {
    const jwk = parseJson(trimmed, 'JWK');
    return isObject(jwk) && jwk.d !== undefined;
  } catch {
    return false;
  }
}

/** Load one key reference: inline PEM, inline JWK JSON, or a file relative to `baseDir`. */
async function loadKey(ref: string, baseDir: string): Promise<PublicKey> {
  let text = ref;
  let where = 'the inline key';
  if (!ref.includes('-----BEGIN') && !ref.trim().startsWith('{')) {
    const path = isAbsolute(ref) ? ref : resolve(baseDir, ref);
    where = ref;
    text = new TextDecoder().decode(await readRegularFile(path, 'read the key', MAX_KEY_FILE_BYTES));
  }
  if (isPrivateKeyText(text)) {
    throw new InputError('ERR_KEY_INVALID', `${where} is a private key; a policy lists public keys only (keygen writes KEY.pub)`);
  }
  return importPublicKey(text);
}

async function buildRole(
  name: string,
  doc: RoleDoc,
  algorithms: readonly KeyAlgorithm[],
  baseDir: string,
  errors: FieldErrors,
): Promise<PolicyRole | undefined> {
  const path = propertyPath('policy.roles', name);
  let bad = false;
  const sigstore: PolicySigstoreIdentity[] = [];
  if (doc.keys === undefined && doc.sigstore === undefined) bad = true; // reported by buildPolicy
  if (doc.trustedRoot !== undefined && doc.sigstore === undefined) {
    errors.add(`${path}.trustedRoot`, 'is only used with sigstore identities');
    bad = true;
  }
  (doc.sigstore ?? []).forEach((id, i) => {
    const at = `${path}.sigstore[${i}]`;
    if ((id.san === undefined) === (id.sanPattern === undefined)) {
      errors.add(at, 'expected exactly one of san or sanPattern');
      bad = true;
      return;
    }
    if (id.sanPattern !== undefined) {
      try {
        new RegExp(`^(?:${id.sanPattern})$`);
      } catch (err) {
        errors.add(`${at}.sanPattern`, `is not a valid regular expression: ${(err as Error).message}`);
        bad = true;
        return;
      }
    }
    sigstore.push(Object.freeze({ ...(id.san !== undefined ? { san: id.san } : { sanPattern: id.sanPattern! }), issuer: id.issuer }));
  });
  const loaded = await Promise.all(
    (doc.keys ?? []).map((ref) =>
      loadKey(ref, baseDir).then(
        (key) => ({ key }),
        (err: unknown) => {
          if (!(err instanceof ProvenantError)) throw err;
          return { error: err.message };
        },
      ),
    ),
  );
  const keys: PublicKey[] = [];
  const seen = new Map<string, number>();
  loaded.forEach((entry, i) => {
    const at = `${path}.keys[${i}]`;
    if ('error' in entry) {
      errors.add(at, entry.error);
      bad = true;
      return;
    }
    const { key } = entry;
    if (!algorithms.includes(key.algorithm)) {
      errors.add(at, `is a ${key.algorithm} key; policy.algorithms accepts ${algorithms.join(', ')}`);
      bad = true;
      return;
    }
    const first = seen.get(key.keyId);
    if (first !== undefined) {
      errors.add(at, `is the same key as ${path}.keys[${first}] (${key.keyId}); a key counts once`);
      bad = true;
      return;
    }
    seen.set(key.keyId, i);
    keys.push(key);
  });
  const threshold = doc.threshold ?? 1;
  if (!bad && threshold > Math.max(keys.length, sigstore.length ? 1 : 0)) {
    errors.add(`${path}.threshold`, `is ${threshold}, above the role's ${keys.length} ${keys.length === 1 ? 'key' : 'keys'}`);
  }
  const trustedRoot = doc.trustedRoot === undefined ? undefined : isAbsolute(doc.trustedRoot) ? doc.trustedRoot : resolve(baseDir, doc.trustedRoot);
  return bad
    ? undefined
    : Object.freeze({
        name,
        keys: Object.freeze(keys),
        threshold,
        ...(sigstore.length ? { sigstore: Object.freeze(sigstore) } : {}),
        ...(trustedRoot !== undefined ? { trustedRoot } : {}),
      });
}

async function buildPolicy(value: unknown, baseDir: string, source: string): Promise<TrustPolicy> {
  const errors = new FieldErrors();
  checkSchema(policySchema, value, 'policy', errors);
  if (!isObject(value)) throw new PolicyError(source, errors.list, errors.count);
  // A role needs keys, Sigstore identities or both (the schema subset cannot say "one of").
  if (isObject(value.roles)) {
    for (const [name, role] of Object.entries(value.roles)) {
      if (isObject(role) && role.keys === undefined && role.sigstore === undefined) {
        errors.add(`${propertyPath('policy.roles', name)}.keys`, 'is required (keys, sigstore identities, or both)');
      }
    }
  }
  const roleDocs = checkMap<RoleDoc>(value, 'roles', errors);
  const kindDocs = checkMap<KindDoc>(value, 'kinds', errors);

  const algorithmsOk = errors.list.every((f) => !f.path.startsWith('policy.algorithms'));
  const algorithms: readonly KeyAlgorithm[] = Array.isArray(value.algorithms) && algorithmsOk
    ? Object.freeze([...(value.algorithms as KeyAlgorithm[])])
    : DEFAULT_POLICY_ALGORITHMS;
  const genesis = isObject(value.governance) && typeof value.governance.genesis === 'string' ? value.governance.genesis : undefined;

  const roles = new Map<string, PolicyRole>();
  // Roles with a bad shape were reported by the schema; their keys are not loaded.
  const built = await Promise.all([...roleDocs].map(([name, doc]) => buildRole(name, doc, algorithms, baseDir, errors)));
  for (const role of built) if (role) roles.set(role.name, role);

  const known: readonly string[] = RECORD_KINDS;
  const kinds = new Map<string, KindRule>();
  for (const [name, doc] of kindDocs) {
    const path = propertyPath('policy.kinds', name);
    if (!known.includes(name)) {
      errors.add(path, `is not a record kind provenant knows (expected one of ${known.join(', ')})`);
      continue;
    }
    if (!roleDocs.has(doc.signedBy) && !(isObject(value.roles) && Object.hasOwn(value.roles, doc.signedBy))) {
      errors.add(`${path}.signedBy`, `names no role in policy.roles (${[...roleDocs.keys()].join(', ') || 'none'})`);
    }
    if (doc.approval !== undefined && genesis === undefined && !(GOVERNANCE_KINDS as readonly string[]).includes(name)) {
      errors.add(`${path}.approval`, 'needs policy.governance.genesis: approvals are trusted through an electorate');
    }
    const maxAgeMs = doc.maxAge !== undefined ? parseDuration(doc.maxAge) : undefined;
    kinds.set(name, Object.freeze({ signedBy: doc.signedBy, ...(doc.approval !== undefined ? { approval: doc.approval } : {}), ...(maxAgeMs !== undefined ? { maxAgeMs } : {}) }));
  }
  if (errors.count) throw new PolicyError(source, errors.list, errors.count);
  const maxAgeMs = typeof value.maxAge === 'string' ? parseDuration(value.maxAge) : undefined;
  return Object.freeze({
    version: 1 as const,
    roles,
    kinds,
    algorithms,
    ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
    ...(genesis !== undefined ? { genesis } : {}),
    source,
  });
}

/** Options of {@link policyFromKeys}. */
export interface PolicyFromKeysOptions {
  /** How many of the keys must sign each record (default 1). */
  threshold?: number;
  /** Algorithms accepted (default ed25519, p256, p384). */
  algorithms?: readonly KeyAlgorithm[];
}

/**
 * A policy that trusts a set of keys for every record kind that is not a
 * governance kind (governance records are trusted through an electorate,
 * never a plain key list), with no approvals required: what `provenant
 * verify --trust KEY.pub` uses when no policy file is given. With no keys,
 * nothing is trusted.
 *
 * @param keys the trusted keys
 * @param options threshold, algorithms
 * @returns the policy, with one role named `trusted`
 * @throws PolicyError when the threshold exceeds the key count or a key's algorithm is not accepted
 * @example
 * ```ts
 * const policy = policyFromKeys([await importPublicKey(pem)]);
 * ```
 */
export function policyFromKeys(keys: readonly PublicKey[], options: PolicyFromKeysOptions = {}): TrustPolicy {
  const algorithms = Object.freeze([...(options.algorithms ?? DEFAULT_POLICY_ALGORITHMS)]);
  const threshold = options.threshold ?? 1;
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`"threshold" expected an integer >= 1, got ${threshold}`);
  const source = '(--trust keys)';
  const distinct = [...new Map(keys.map((k) => [k.keyId, k])).values()];
  const errors = new FieldErrors();
  distinct.forEach((k, i) => {
    if (!algorithms.includes(k.algorithm)) errors.add(`policy.roles.trusted.keys[${i}]`, `is a ${k.algorithm} key; accepted: ${algorithms.join(', ')}`);
  });
  if (distinct.length > 0 && threshold > distinct.length) {
    errors.add('policy.roles.trusted.threshold', `is ${threshold}, above the role's ${distinct.length} keys`);
  }
  if (errors.count) throw new PolicyError(source, errors.list, errors.count);
  const roles = new Map<string, PolicyRole>();
  const kinds = new Map<string, KindRule>();
  if (distinct.length > 0) {
    roles.set('trusted', Object.freeze({ name: 'trusted', keys: Object.freeze(distinct), threshold }));
    for (const kind of RECORD_KINDS) {
      if (!(GOVERNANCE_KINDS as readonly string[]).includes(kind)) kinds.set(kind, Object.freeze({ signedBy: 'trusted' }));
    }
  }
  return Object.freeze({ version: 1 as const, roles, kinds, algorithms, source });
}
