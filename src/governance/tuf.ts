/**
 * An adapter from TUF root metadata to the generic rotation rule of
 * `rotation.ts`: each key id of the root role is a principal, and a new root
 * must be signed by a threshold of the trusted root's root keys and a
 * threshold of its own (TUF specification §5.3.4), with version = trusted
 * version + 1 (§5.3.5). Expiry (§5.3.10) is reported separately.
 *
 * TUF signs the OLPC canonical JSON of `signed` (securesystemslib
 * `encode_canonical`), not RFC 8785: see {@link olpcCanonicalJson}.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { importPublicKey, type PublicKey } from '../envelope/keys.js';
import { fromHex } from '../lib/bytes.js';
import { InputError } from '../lib/errors.js';
import { isObject, parseJson, type JsonValue } from '../lib/json.js';
import { checkRotation, type Principal, type RotationSignature, type SignerSet } from './rotation.js';

// ---------------------------------------------------------------------------
// OLPC canonical JSON

/** Lone surrogates cannot be UTF-8 encoded (Python refuses them; TextEncoder would silently replace them). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function olpcString(value: string): string {
  if (LONE_SURROGATE.test(value)) throw new TypeError('OLPC canonical JSON cannot encode a string with a lone UTF-16 surrogate');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** UTF-16 code unit remapped so that comparing units orders strings by code point (as Python does). */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/**
 * Compare two strings by Unicode code point, as Python's `sorted` compares
 * `str` (JavaScript's default sort compares UTF-16 code units, which differs
 * for characters above U+FFFF versus U+E000..U+FFFF).
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function olpcEncode(value: unknown, out: string[], depth: number): void {
  if (depth > 128) throw new RangeError('OLPC canonical JSON: value nests deeper than 128 levels');
  if (value === null) out.push('null');
  else if (value === true) out.push('true');
  else if (value === false) out.push('false');
  else if (typeof value === 'string') out.push(olpcString(value));
  else if (typeof value === 'bigint') out.push(value.toString());
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new TypeError(`OLPC canonical JSON encodes integers only (up to 2^53 - 1 here), got ${value}`);
    }
    out.push(String(value === 0 ? 0 : value));
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      olpcEncode(item, out, depth + 1);
    });
    out.push(']');
  } else if (isObject(value)) {
    const keys = Object.keys(value).sort(compareCodePoints);
    out.push('{');
    keys.forEach((key, i) => {
      if (i > 0) out.push(',');
      out.push(olpcString(key), ':');
      olpcEncode(value[key], out, depth + 1);
    });
    out.push('}');
  } else {
    throw new TypeError(`OLPC canonical JSON cannot encode a value of type ${typeof value}`);
  }
}

/**
 * The OLPC canonical JSON TUF signs (securesystemslib
 * `formats.encode_canonical`), as UTF-8 bytes: object keys sorted by code
 * point, no whitespace, strings escaping ONLY `\` and `"` (every other
 * character, newlines and control characters included, is written raw),
 * integers only. It is NOT RFC 8785 (`canonicalJson` in src/lib/json.ts), which
 * escapes control characters and allows floats.
 *
 * @param value null, booleans, strings, safe integers (or bigints), arrays and plain objects
 * @returns the canonical bytes
 * @throws TypeError for a float, NaN, an unsafe integer, a lone surrogate, `undefined` or any other non-JSON value
 * @throws RangeError for a value nested deeper than 128 levels
 * @example
 * ```ts
 * const covered = olpcCanonicalJson(doc.signed); // the bytes a TUF root's signatures cover
 * new TextDecoder().decode(olpcCanonicalJson({ b: 'x\ny', a: 1 })) === '{"a":1,"b":"x\ny"}'; // a raw newline, not "\\n"
 * ```
 */
export function olpcCanonicalJson(value: unknown): Uint8Array {
  const out: string[] = [];
  olpcEncode(value, out, 0);
  return new TextEncoder().encode(out.join(''));
}

// ---------------------------------------------------------------------------
// Parsing TUF root metadata

/** One entry of a root's `signed.keys`. */
export interface TufKey {
  keyid: string;
  keytype: string;
  scheme: string;
  /** The key, when its type and scheme are supported and its material reads; otherwise it cannot count. */
  publicKey?: PublicKey;
  /** Why the key cannot be used (unknown type or scheme, unreadable material). */
  unusable?: string;
}

/** The parts of a TUF root provenant uses, plus the exact bytes its signatures cover. */
export interface TufRoot {
  /** `signed.version`. */
  version: number;
  /** `signed.expires`, as written (`YYYY-MM-DDTHH:MM:SSZ`). */
  expires: string;
  /** `signed.expires` in milliseconds since the epoch. */
  expiresAt: number;
  /** `signed.spec_version`. */
  specVersion: string;
  /** Every key of `signed.keys`, by key id. */
  keys: ReadonlyMap<string, TufKey>;
  /** `signed.roles.root`: the key ids that may sign a root, and how many must. */
  rootRole: { keyids: readonly string[]; threshold: number };
  /** `signatures`, with `sig` decoded from hex (a sig that is not hex is kept as empty bytes: it counts for nobody). */
  signatures: readonly { keyid: string; sig: Uint8Array }[];
  /** OLPC canonical JSON of `signed`: the bytes the signatures cover. */
  signedBytes: Uint8Array;
  /** `signed`, as parsed. */
  signed: { [key: string]: JsonValue };
}

const ECDSA_SCHEMES: Record<string, { algorithm: 'p256' | 'p384'; keytypes: readonly string[] }> = {
  'ecdsa-sha2-nistp256': { algorithm: 'p256', keytypes: ['ecdsa', 'ecdsa-sha2-nistp256'] },
  'ecdsa-sha2-nistp384': { algorithm: 'p384', keytypes: ['ecdsa', 'ecdsa-sha2-nistp384'] },
};

/** The key, or the reason it cannot be used. Never throws: an unusable key simply cannot count. */
async function tufPublicKey(keytype: string, scheme: string, material: string): Promise<PublicKey | string> {
  let keyObject: KeyObject;
  let expected: 'ed25519' | 'p256' | 'p384';
  try {
    const ecdsa = Object.hasOwn(ECDSA_SCHEMES, scheme) ? ECDSA_SCHEMES[scheme] : undefined;
    if (keytype === 'ed25519' && scheme === 'ed25519') {
      const raw = fromHex(material);
      if (raw?.length !== 32) return 'ed25519 keyval.public is not 32 bytes of hex';
      keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
      expected = 'ed25519';
    } else if (ecdsa !== undefined && ecdsa.keytypes.includes(keytype)) {
      if (!material.trimStart().startsWith('-----BEGIN PUBLIC KEY-----')) return `${scheme} keyval.public is not a PEM public key`;
      keyObject = createPublicKey(material);
      expected = ecdsa.algorithm;
    } else {
      return `unsupported keytype ${JSON.stringify(keytype)} with scheme ${JSON.stringify(scheme)}`;
    }
    const key = await importPublicKey(keyObject);
    if (key.algorithm !== expected) return `scheme ${scheme} but the key is ${key.algorithm}`;
    return key;
  } catch (err) {
    return `cannot read keyval.public: ${(err as Error).message}`;
  }
}

function malformed(what: string, message: string, cause?: unknown): InputError {
  return new InputError('ERR_MALFORMED', `${what}: ${message}`, cause === undefined ? undefined : { cause });
}

/**
 * Bounds on untrusted root metadata: every signature may be tried against
 * every root key (key ids are only hints), so both are capped. Real roots
 * have a handful of each.
 */
const MAX_KEYS = 1024;
const MAX_SIGNATURES = 1024;

const EXPIRES = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Milliseconds of a TUF `expires` (`YYYY-MM-DDTHH:MM:SSZ`, as python-tuf reads it), or undefined. */
function parseExpires(text: string): number | undefined {
  const m = EXPIRES.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Reject dates that roll over (2026-02-30, 25:00:00).
  return new Date(ms).toISOString().slice(0, 19) + 'Z' === text ? ms : undefined;
}

/**
 * Parse TUF root metadata strictly (duplicate JSON keys are refused) and
 * compute the bytes its signatures cover. Checks the shape provenant needs:
 * `signed._type` is `root`, `spec_version` 1.x, `version` an integer >= 1,
 * `expires` a `YYYY-MM-DDTHH:MM:SSZ` time, `keys` a map of key id to
 * `{keytype, scheme, keyval: {public}}`, `roles.root` unique `keyids` (each in
 * `keys`, no two the same key) with an integer `threshold` from 1 to their
 * number, and `signatures` a list of `{keyid, sig}` (hex). Supported keys:
 * `ecdsa` / `ecdsa-sha2-nistp256` with a PEM (scheme `ecdsa-sha2-nistp256`,
 * SHA-256, DER signatures; likewise nistp384) and `ed25519` with a hex raw
 * key. Other key types are kept but marked unusable: they cannot count, as
 * in TUF clients. Repeated signatures and unknown signature key ids are kept
 * (key ids are only hints; each key counts once when verifying).
 *
 * @param input the metadata file's bytes or text
 * @param what how to name it in messages
 * @returns the parsed root
 * @throws InputError `ERR_MALFORMED` (not JSON, or not the shape above), `ERR_LIMIT_EXCEEDED` (above 16 MiB, or more than 1024 keys or 1024 signatures)
 * @example
 * ```ts
 * const root = await parseTufRoot(await readFile('14.root.json'));
 * root.version; // 14
 * ```
 */
export async function parseTufRoot(input: Uint8Array | string, what = 'TUF root metadata'): Promise<TufRoot> {
  const doc = parseJson(input, what);
  if (!isObject(doc)) throw malformed(what, 'expected a JSON object');
  const { signed, signatures } = doc;
  if (!isObject(signed)) throw malformed(what, '"signed" must be an object');
  if (signed._type !== 'root') throw malformed(what, `"signed._type" is ${JSON.stringify(signed._type)}, expected "root"`);
  const specVersion = signed.spec_version;
  if (typeof specVersion !== 'string' || !/^1\.\d+(\.\d+)?$/.test(specVersion)) {
    throw malformed(what, `"signed.spec_version" is ${JSON.stringify(specVersion)}, expected a 1.x version string`);
  }
  const version = signed.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw malformed(what, `"signed.version" must be an integer >= 1, got ${JSON.stringify(version)}`);
  }
  const expires = signed.expires;
  const expiresAt = typeof expires === 'string' ? parseExpires(expires) : undefined;
  if (typeof expires !== 'string' || expiresAt === undefined) {
    throw malformed(what, `"signed.expires" must be a time like 2026-01-31T12:00:00Z, got ${JSON.stringify(expires)}`);
  }

  if (!isObject(signed.keys)) throw malformed(what, '"signed.keys" must be an object of key id to key');
  if (Object.keys(signed.keys).length > MAX_KEYS) {
    throw new InputError('ERR_LIMIT_EXCEEDED', `${what}: more than ${MAX_KEYS} keys in "signed.keys"`);
  }
  const keys = new Map<string, TufKey>();
  for (const [keyid, entry] of Object.entries(signed.keys)) {
    const at = `"signed.keys[${JSON.stringify(keyid)}]"`;
    if (!isObject(entry)) throw malformed(what, `${at} must be an object`);
    const { keytype, scheme, keyval } = entry;
    if (typeof keytype !== 'string' || typeof scheme !== 'string') throw malformed(what, `${at} needs string "keytype" and "scheme"`);
    if (!isObject(keyval) || typeof keyval.public !== 'string') throw malformed(what, `${at} needs a string "keyval.public"`);
    const key = await tufPublicKey(keytype, scheme, keyval.public);
    keys.set(keyid, typeof key === 'string' ? { keyid, keytype, scheme, unusable: key } : { keyid, keytype, scheme, publicKey: key });
  }

  const roles = signed.roles;
  const root = isObject(roles) ? roles.root : undefined;
  if (!isObject(root)) throw malformed(what, '"signed.roles.root" must be an object');
  const { keyids, threshold } = root;
  if (!Array.isArray(keyids) || !keyids.every((k): k is string => typeof k === 'string')) {
    throw malformed(what, '"signed.roles.root.keyids" must be an array of strings');
  }
  const owner = new Map<string, string>();
  const listed = new Set<string>();
  for (const keyid of keyids) {
    if (listed.has(keyid)) throw malformed(what, `"signed.roles.root.keyids" lists ${keyid} twice`);
    listed.add(keyid);
    const key = keys.get(keyid);
    if (key === undefined) throw malformed(what, `root key id ${keyid} is not in "signed.keys"`);
    if (key.publicKey === undefined) continue;
    // Two key ids for one key would let one key holder count twice (the go-tuf / python-tuf threshold bypasses).
    const spki = key.publicKey.keyObject.export({ type: 'spki', format: 'der' }).toString('hex');
    const other = owner.get(spki);
    if (other !== undefined) throw malformed(what, `root key ids ${other} and ${keyid} are the same key`);
    owner.set(spki, keyid);
  }
  if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1 || threshold > keyids.length) {
    throw malformed(
      what,
      `"signed.roles.root.threshold" must be an integer from 1 to the number of root keys (${keyids.length}), got ${JSON.stringify(threshold)}`,
    );
  }

  if (!Array.isArray(signatures)) throw malformed(what, '"signatures" must be an array');
  if (signatures.length > MAX_SIGNATURES) {
    throw new InputError('ERR_LIMIT_EXCEEDED', `${what}: more than ${MAX_SIGNATURES} signatures`);
  }
  const sigs = signatures.map((entry, i) => {
    if (!isObject(entry) || typeof entry.keyid !== 'string' || typeof entry.sig !== 'string') {
      throw malformed(what, `"signatures[${i}]" must be { keyid: string, sig: hex string }`);
    }
    return { keyid: entry.keyid, sig: fromHex(entry.sig) ?? new Uint8Array(0) };
  });

  let signedBytes: Uint8Array;
  try {
    signedBytes = olpcCanonicalJson(signed);
  } catch (err) {
    throw malformed(what, `"signed" has no OLPC canonical form (${(err as Error).message})`, err);
  }
  return {
    version,
    expires,
    expiresAt,
    specVersion,
    keys,
    rootRole: { keyids: [...keyids], threshold },
    signatures: sigs,
    signedBytes,
    signed: signed as { [key: string]: JsonValue },
  };
}

/**
 * The root role of a TUF root as a {@link SignerSet}: one principal per root
 * key id, holding its key (or no key when the key type is unsupported, so it
 * cannot count).
 *
 * @param root a parsed root
 * @returns the principals (key ids) and the root threshold
 * @example
 * ```ts
 * const set = tufRootSignerSet(await parseTufRoot(bytes));
 * set.threshold; // 3
 * ```
 */
export function tufRootSignerSet(root: TufRoot): SignerSet {
  const principals: Principal[] = root.rootRole.keyids.map((keyid) => {
    const key = root.keys.get(keyid)?.publicKey;
    return { id: keyid, keys: key === undefined ? [] : [key] };
  });
  return { principals, threshold: root.rootRole.threshold };
}

// ---------------------------------------------------------------------------
// Verifying updates

/** Stable codes of a failed TUF root update; all are `VerificationErrorCode`s. */
export type TufRootUpdateCode = 'ERR_ROTATION_OLD_THRESHOLD' | 'ERR_ROTATION_NEW_THRESHOLD' | 'ERR_ROTATION_VERSION';

/** Options of {@link verifyTufRootUpdate} and {@link verifyTufRootChain}. */
export interface TufVerifyOptions {
  /** When given, also report whether the resulting root has expired at this time (expired when `now >= expires`). */
  now?: Date;
}

/** What checking a new root against a trusted one established. */
export interface TufRootUpdateResult {
  /**
   * True when the rotation holds: version = trusted version + 1, a threshold
   * of the trusted root keys and a threshold of the new root keys signed.
   * It says nothing about expiry: see `expired`.
   */
  ok: boolean;
  /** Why not (thresholds are checked before the version, in TUF's order). */
  code?: TufRootUpdateCode;
  /** A readable summary. */
  message: string;
  /** The trusted root's version (undefined for a genesis check). */
  oldVersion?: number;
  /** The new root's version. */
  newVersion: number;
  /** Key ids of the trusted root's root role whose signatures on the new root verify. */
  oldSigners: string[];
  /** How many root keys the trusted root has, and its threshold (undefined for a genesis). */
  oldKeys?: number;
  oldThreshold?: number;
  /** Key ids of the new root's root role whose signatures on it verify. */
  newSigners: string[];
  /** How many root keys the new root has, and its threshold. */
  newKeys: number;
  newThreshold: number;
  /** The new root's `expires`. */
  expires: string;
  /**
   * Only when `now` was given: whether the new root has expired at `now`.
   * A TUF client must refuse an expired root at the end of the chain even
   * when every rotation is valid.
   */
  expired?: boolean;
}

async function asRoot(input: Uint8Array | string | TufRoot, what: string): Promise<TufRoot> {
  return typeof input === 'string' || input instanceof Uint8Array ? parseTufRoot(input, what) : input;
}

function checkRoots(trusted: TufRoot | undefined, next: TufRoot, now: Date | undefined): TufRootUpdateResult {
  const nextSet = tufRootSignerSet(next);
  const signatures: RotationSignature[] = next.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig }));
  const check = checkRotation(trusted && tufRootSignerSet(trusted), nextSet, next.signedBytes, signatures);
  const result: TufRootUpdateResult = {
    ok: check.ok,
    message: check.message,
    newVersion: next.version,
    oldSigners: check.oldSigners,
    newSigners: check.newSigners,
    newKeys: nextSet.principals.length,
    newThreshold: nextSet.threshold,
    expires: next.expires,
  };
  if (trusted !== undefined) {
    result.oldVersion = trusted.version;
    result.oldKeys = trusted.rootRole.keyids.length;
    result.oldThreshold = trusted.rootRole.threshold;
  }
  if (check.code !== undefined) result.code = check.code;
  else if (trusted !== undefined && next.version !== trusted.version + 1) {
    result.ok = false;
    result.code = 'ERR_ROTATION_VERSION';
    result.message = `root version ${next.version} cannot follow version ${trusted.version} (expected ${trusted.version + 1}); ${check.message}`;
  }
  result.message = `${trusted === undefined ? `root v${next.version}` : `root v${trusted.version} -> v${next.version}`}: ${result.message}`;
  if (now !== undefined) result.expired = expiredAt(next, now);
  return result;
}

/**
 * Check a new TUF root against the trusted one, as a TUF client updating its
 * root does: the new version must be exactly the trusted version + 1 (§5.3.5)
 * and the new root must be signed by a threshold of the trusted root's root
 * keys AND a threshold of its own (§5.3.4), each key id counted once (a
 * repeated signature counts once; a key id on a signature is only a hint).
 * Expiry is reported separately in `expired`, only when `now` is given.
 * Never throws for a bad signature.
 *
 * @param trusted the trusted root N (bytes, text, or parsed)
 * @param next the candidate root N+1 (bytes, text, or parsed)
 * @param options `now`, to report expiry
 * @returns `ok`, the signing key ids on both sides, a reason code, and expiry
 * @throws InputError `ERR_MALFORMED` when either file is not TUF root metadata
 * @throws RangeError for an invalid `now`
 * @example
 * ```ts
 * const r = await verifyTufRootUpdate(await readFile('13.root.json'), await readFile('14.root.json'));
 * r.ok; // true: 4 of 5 old keys and 4 of 5 new keys signed, threshold 3
 * ```
 */
export async function verifyTufRootUpdate(
  trusted: Uint8Array | string | TufRoot,
  next: Uint8Array | string | TufRoot,
  options: TufVerifyOptions = {},
): Promise<TufRootUpdateResult> {
  const old = await asRoot(trusted, 'trusted TUF root');
  const candidate = await asRoot(next, 'new TUF root');
  return checkRoots(old, candidate, options.now);
}

/** What walking a chain of TUF roots established. */
export interface TufRootChainResult {
  /** True when the first root meets its own threshold and every later root is a valid rotation of the one before. Says nothing about expiry. */
  ok: boolean;
  /** The first failure's code. */
  code?: TufRootUpdateCode;
  /** A readable summary. */
  message: string;
  /** The first root checked against its own threshold (TUF clients check their trusted root so), then one result per rotation, up to the first failure. */
  steps: TufRootUpdateResult[];
  /** The last root reached validly: the root to trust (undefined when the first root does not meet its own threshold). */
  trusted?: TufRoot;
  /** Only when `now` was given: whether `trusted` has expired at `now`. Intermediate roots may have expired; only the last one matters (§5.3.10). */
  expired?: boolean;
}

/**
 * Walk a chain of TUF roots, oldest first: the first must meet its own root
 * threshold, and each later one must be a valid rotation of the one before
 * (see {@link verifyTufRootUpdate}). Stops at the first failure. With `now`,
 * reports whether the last valid root has expired (§5.3.10: only the final
 * root's expiry matters; intermediate roots may have expired long ago).
 *
 * @param roots the root files in version order (bytes, text, or parsed)
 * @param options `now`, to report expiry
 * @returns `ok`, each step, the root to trust, and expiry
 * @throws InputError `ERR_MALFORMED` when a file is not TUF root metadata
 * @throws RangeError for an empty chain or an invalid `now`
 * @example
 * ```ts
 * const chain = await verifyTufRootChain([v13, v14, v15], { now: new Date() });
 * if (!chain.ok || chain.expired) throw new Error(chain.message);
 * ```
 */
export async function verifyTufRootChain(
  roots: readonly (Uint8Array | string | TufRoot)[],
  options: TufVerifyOptions = {},
): Promise<TufRootChainResult> {
  if (roots.length === 0) throw new RangeError('verifyTufRootChain: expected at least one root');
  const parsed: TufRoot[] = [];
  for (const [i, root] of roots.entries()) parsed.push(await asRoot(root, `TUF root #${i + 1}`));
  const steps: TufRootUpdateResult[] = [];
  let trusted: TufRoot | undefined;
  for (const root of parsed) {
    const step = checkRoots(trusted, root, undefined);
    steps.push(step);
    if (!step.ok) {
      const result: TufRootChainResult = { ok: false, message: step.message, steps };
      if (step.code !== undefined) result.code = step.code;
      if (trusted !== undefined) {
        result.trusted = trusted;
        if (options.now !== undefined) result.expired = expiredAt(trusted, options.now);
      }
      return result;
    }
    trusted = root;
  }
  const last = trusted as TufRoot;
  const result: TufRootChainResult = {
    ok: true,
    message: `root v${parsed[0]!.version} -> v${last.version}: ${steps.length - 1} valid rotation(s)`,
    steps,
    trusted: last,
  };
  if (options.now !== undefined) {
    result.expired = expiredAt(last, options.now);
    if (result.expired) result.message += `; but v${last.version} expired at ${last.expires}`;
  }
  return result;
}

function expiredAt(root: TufRoot, now: Date): boolean {
  const time = now.getTime();
  if (!Number.isFinite(time)) throw new RangeError('"now" is an invalid Date');
  return time >= root.expiresAt;
}
