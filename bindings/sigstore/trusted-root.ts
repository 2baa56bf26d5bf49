/// <reference path="./json-modules.d.ts" />
import { createPublicKey, X509Certificate } from 'node:crypto';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { InputError, parseJson, toHex } from 'provenant';
import publicGoodJson from './trusted_root.public-good.json' with { type: 'json' };
import { base64Bytes, FieldProblems, isRecord, parseTime, withoutNulls } from './encoding.js';
import { readInputFile } from './files.js';

/** The protobuf-shaped trusted root @sigstore/verify consumes. */
type TrustedRootMessage = Parameters<typeof toTrustMaterial>[0];
type LogMessage = TrustedRootMessage['tlogs'][number];
type AuthorityMessage = TrustedRootMessage['certificateAuthorities'][number];

/** When a key or certificate authority of a trusted root may be relied on. */
export interface ValidityPeriod {
  readonly start: Date;
  /** Absent: still valid. */
  readonly end?: Date;
}

/** A transparency log (Rekor) or certificate-transparency log of a trusted root. */
export interface TrustedLog {
  readonly baseUrl: string;
  /** Hex log id (SHA-256 of the log's key, or the checkpoint key id when the root names one). */
  readonly logId: string;
  /** The protobuf `PublicKeyDetails` name, e.g. `PKIX_ECDSA_P256_SHA_256`. */
  readonly keyDetails: string;
  readonly validFor: ValidityPeriod;
}

/** A certificate authority (Fulcio) or timestamp authority of a trusted root. */
export interface TrustedAuthority {
  readonly uri: string;
  /** Number of certificates in its chain. */
  readonly certificates: number;
  readonly validFor: ValidityPeriod;
}

/**
 * A parsed, validated Sigstore `trusted_root.json`: the trust material
 * verification runs against. Obtain one from {@link parseTrustedRoot},
 * {@link loadTrustedRoot} or {@link publicGoodTrustedRoot}; the fields are a
 * read-only summary for display.
 */
export interface SigstoreTrustedRoot {
  readonly mediaType: string;
  readonly tlogs: readonly TrustedLog[];
  readonly ctlogs: readonly TrustedLog[];
  readonly certificateAuthorities: readonly TrustedAuthority[];
  readonly timestampAuthorities: readonly TrustedAuthority[];
}

/** Options of {@link parseTrustedRoot}. */
export interface ParseTrustedRootOptions {
  /**
   * Read a missing `validFor` / `validFor.start` as "since the beginning of
   * time", as @sigstore/verify 3.x does, instead of rejecting the root.
   * Only for roots you wrote yourself or test fixtures that predate the rule
   * (the sigstore-js unit-test root); never for a root you were handed.
   * Default false.
   */
  allowMissingValidityStart?: boolean;
}

interface RootState {
  message: TrustedRootMessage;
  material: TrustMaterial;
  /** The same material with every `validFor.end` lifted: used only to tell "expired" from "invalid". */
  unbounded?: TrustMaterial;
}

const states = new WeakMap<SigstoreTrustedRoot, RootState>();

const MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.[12]|\.v0\.[12]\+json)$/;
const MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024;
const BEGINNING_OF_TIME = new Date(0);

/** protobuf `PublicKeyDetails` names and numbers (sigstore protobuf-specs, sigstore_common.proto). */
const KEY_DETAILS: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, number>, {
    PKCS1_RSA_PKCS1V5: 1,
    PKCS1_RSA_PSS: 2,
    PKIX_RSA_PKCS1V5: 3,
    PKIX_RSA_PSS: 4,
    PKIX_ECDSA_P256_SHA_256: 5,
    PKIX_ECDSA_P256_HMAC_SHA_256: 6,
    PKIX_ED25519: 7,
    PKIX_ED25519_PH: 8,
    PKIX_RSA_PKCS1V15_2048_SHA256: 9,
    PKIX_RSA_PKCS1V15_3072_SHA256: 10,
    PKIX_RSA_PKCS1V15_4096_SHA256: 11,
    PKIX_ECDSA_P384_SHA_384: 12,
    PKIX_ECDSA_P521_SHA_512: 13,
    PKIX_RSA_PSS_2048_SHA256: 16,
    PKIX_RSA_PSS_3072_SHA256: 17,
    PKIX_RSA_PSS_4096_SHA256: 18,
    PKIX_ECDSA_P384_SHA_256: 19,
    PKIX_ECDSA_P521_SHA_256: 20,
  }),
);

/** protobuf `HashAlgorithm` names and numbers. */
export const HASH_ALGORITHMS: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, number>, { SHA2_256: 1, SHA2_384: 2, SHA2_512: 3, SHA3_256: 4, SHA3_384: 5 }),
);

function validity(raw: unknown, path: string, bad: FieldProblems, options: ParseTrustedRootOptions): { start: Date; end?: Date } {
  const fallback = { start: BEGINNING_OF_TIME };
  if (raw === undefined || (isRecord(raw) && raw.start === undefined)) {
    // A missing start must not silently mean "forever" (sigstore-conformance
    // trust-root-tlog-missing-validity-start_fail): @sigstore/verify 3.x reads it so.
    if (!options.allowMissingValidityStart) bad.add(`${path}.start`, 'required (a validity period must say when it starts)');
    if (isRecord(raw) && raw.end !== undefined) {
      const end = parseTime(raw.end);
      if (!end) bad.add(`${path}.end`, 'expected an RFC 3339 time');
      else return { start: BEGINNING_OF_TIME, end };
    }
    return fallback;
  }
  if (!isRecord(raw)) {
    bad.add(path, 'expected an object');
    return fallback;
  }
  const start = parseTime(raw.start);
  if (!start) bad.add(`${path}.start`, 'expected an RFC 3339 time');
  let end: Date | undefined;
  if (raw.end !== undefined) {
    end = parseTime(raw.end);
    if (!end) bad.add(`${path}.end`, 'expected an RFC 3339 time');
    else if (start && end.getTime() < start.getTime()) bad.add(`${path}.end`, 'is before validFor.start');
  }
  return { start: start ?? BEGINNING_OF_TIME, ...(end ? { end } : {}) };
}

function arrayField(raw: Record<string, unknown>, key: string, bad: FieldProblems): unknown[] {
  const value = raw[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    bad.add(key, 'expected an array');
    return [];
  }
  return value;
}

function parseLog(raw: unknown, path: string, bad: FieldProblems, options: ParseTrustedRootOptions): [LogMessage, TrustedLog] | undefined {
  if (!isRecord(raw)) {
    bad.add(path, 'expected an object');
    return undefined;
  }
  const before = bad.problems.length;
  if (typeof raw.baseUrl !== 'string' || raw.baseUrl === '') bad.add(`${path}.baseUrl`, 'expected a URL');
  const hashAlgorithm = raw.hashAlgorithm === undefined ? 0 : HASH_ALGORITHMS[String(raw.hashAlgorithm)];
  if (hashAlgorithm === undefined) bad.add(`${path}.hashAlgorithm`, `unknown hash algorithm ${JSON.stringify(raw.hashAlgorithm)}`);
  const pk = raw.publicKey;
  let rawBytes: Buffer | undefined;
  let keyDetails: number | undefined;
  let keyDetailsName = '';
  let validFor: { start: Date; end?: Date } = { start: BEGINNING_OF_TIME };
  if (!isRecord(pk)) bad.add(`${path}.publicKey`, 'expected an object');
  else {
    rawBytes = base64Bytes(pk.rawBytes);
    if (!rawBytes || rawBytes.length === 0) bad.add(`${path}.publicKey.rawBytes`, 'expected base64 DER key bytes');
    keyDetailsName = String(pk.keyDetails);
    keyDetails = KEY_DETAILS[keyDetailsName];
    if (keyDetails === undefined) bad.add(`${path}.publicKey.keyDetails`, `unknown key type ${JSON.stringify(pk.keyDetails)}`);
    else if (rawBytes && rawBytes.length > 0) {
      try {
        createPublicKey({ key: rawBytes, format: 'der', type: keyDetailsName.startsWith('PKCS1_') ? 'pkcs1' : 'spki' });
      } catch (err) {
        bad.add(`${path}.publicKey.rawBytes`, `not a ${keyDetailsName} public key (${(err as Error).message})`);
      }
    }
    validFor = validity(pk.validFor, `${path}.publicKey.validFor`, bad, options);
  }
  const logId = isRecord(raw.logId) ? base64Bytes(raw.logId.keyId) : undefined;
  if (!logId || logId.length === 0) bad.add(`${path}.logId.keyId`, 'expected base64 bytes');
  let checkpointKeyId: Buffer | undefined;
  if (raw.checkpointKeyId !== undefined) {
    checkpointKeyId = isRecord(raw.checkpointKeyId) ? base64Bytes(raw.checkpointKeyId.keyId) : undefined;
    if (!checkpointKeyId || checkpointKeyId.length === 0) bad.add(`${path}.checkpointKeyId.keyId`, 'expected base64 bytes');
  }
  if (bad.problems.length !== before) return undefined;
  const message: LogMessage = {
    baseUrl: raw.baseUrl as string,
    hashAlgorithm: hashAlgorithm!,
    publicKey: { rawBytes: rawBytes!, keyDetails: keyDetails!, validFor },
    logId: { keyId: logId! },
    checkpointKeyId: checkpointKeyId ? { keyId: checkpointKeyId } : undefined,
    operator: typeof raw.operator === 'string' ? raw.operator : '',
  };
  const summary: TrustedLog = {
    baseUrl: message.baseUrl,
    logId: toHex(checkpointKeyId ?? logId!),
    keyDetails: keyDetailsName,
    validFor: { ...validFor },
  };
  return [message, summary];
}

function parseAuthority(
  raw: unknown,
  path: string,
  bad: FieldProblems,
  options: ParseTrustedRootOptions,
): [AuthorityMessage, TrustedAuthority] | undefined {
  if (!isRecord(raw)) {
    bad.add(path, 'expected an object');
    return undefined;
  }
  const before = bad.problems.length;
  const chain = isRecord(raw.certChain) ? raw.certChain.certificates : undefined;
  const certificates: { rawBytes: Buffer }[] = [];
  if (!Array.isArray(chain) || chain.length === 0) bad.add(`${path}.certChain.certificates`, 'expected a non-empty array');
  else {
    chain.forEach((c, i) => {
      const der = isRecord(c) ? base64Bytes(c.rawBytes) : undefined;
      if (!der || der.length === 0) {
        bad.add(`${path}.certChain.certificates[${i}].rawBytes`, 'expected base64 DER certificate bytes');
        return;
      }
      try {
        new X509Certificate(der);
      } catch (err) {
        bad.add(`${path}.certChain.certificates[${i}].rawBytes`, `not an X.509 certificate (${(err as Error).message})`);
        return;
      }
      certificates.push({ rawBytes: der });
    });
  }
  const validFor = validity(raw.validFor, `${path}.validFor`, bad, options);
  if (raw.uri !== undefined && typeof raw.uri !== 'string') bad.add(`${path}.uri`, 'expected a string');
  if (bad.problems.length !== before) return undefined;
  const subject = isRecord(raw.subject) ? raw.subject : {};
  const message: AuthorityMessage = {
    subject: {
      organization: typeof subject.organization === 'string' ? subject.organization : '',
      commonName: typeof subject.commonName === 'string' ? subject.commonName : '',
    },
    uri: typeof raw.uri === 'string' ? raw.uri : '',
    certChain: { certificates },
    validFor,
    operator: typeof raw.operator === 'string' ? raw.operator : '',
  };
  return [message, { uri: message.uri, certificates: certificates.length, validFor: { ...validFor } }];
}

/**
 * Parse and validate a Sigstore `trusted_root.json` (media type
 * `application/vnd.dev.sigstore.trustedroot+json;version=0.1`). Stricter than
 * @sigstore/verify 3.x: every log, CT log and authority must say when its
 * validity starts, keys and certificates must parse, and every bad field is
 * reported at once.
 *
 * @param input the JSON text or bytes, or an already-parsed object
 * @param options `allowMissingValidityStart` for legacy fixtures
 * @returns the trust material to verify against
 * @throws InputError `ERR_TRUSTED_ROOT_INVALID` (the message lists every bad field), `ERR_LIMIT_EXCEEDED`
 * @example
 * ```ts
 * const root = parseTrustedRoot(await readFile('trusted_root.json'));
 * ```
 */
export function parseTrustedRoot(input: string | Uint8Array | object, options: ParseTrustedRootOptions = {}): SigstoreTrustedRoot {
  let raw: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      raw = parseJson(input, 'trusted root', { maxBytes: MAX_TRUSTED_ROOT_BYTES });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_LIMIT_EXCEEDED') throw err;
      throw new InputError('ERR_TRUSTED_ROOT_INVALID', (err as Error).message, { cause: err });
    }
  }
  raw = withoutNulls(raw);
  if (!isRecord(raw)) throw new InputError('ERR_TRUSTED_ROOT_INVALID', 'trusted root must be a JSON object');
  const bad = new FieldProblems();
  if (typeof raw.mediaType !== 'string' || !MEDIA_TYPE.test(raw.mediaType)) {
    bad.add('mediaType', `expected application/vnd.dev.sigstore.trustedroot+json;version=0.1, got ${JSON.stringify(raw.mediaType)}`);
  }
  const logs = (key: 'tlogs' | 'ctlogs') =>
    arrayField(raw as Record<string, unknown>, key, bad).map((l, i) => parseLog(l, `${key}[${i}]`, bad, options));
  const authorities = (key: 'certificateAuthorities' | 'timestampAuthorities') =>
    arrayField(raw as Record<string, unknown>, key, bad).map((a, i) => parseAuthority(a, `${key}[${i}]`, bad, options));
  const tlogs = logs('tlogs');
  const ctlogs = logs('ctlogs');
  const cas = authorities('certificateAuthorities');
  const tsas = authorities('timestampAuthorities');
  if (!bad.ok) {
    throw new InputError('ERR_TRUSTED_ROOT_INVALID', `malformed trusted root:\n  ${bad.problems.join('\n  ')}`);
  }
  const message: TrustedRootMessage = {
    mediaType: raw.mediaType as string,
    tlogs: tlogs.map((l) => l![0]),
    ctlogs: ctlogs.map((l) => l![0]),
    certificateAuthorities: cas.map((a) => a![0]),
    timestampAuthorities: tsas.map((a) => a![0]),
  };
  let material: TrustMaterial;
  try {
    material = toTrustMaterial(message);
  } catch (err) {
    throw new InputError('ERR_TRUSTED_ROOT_INVALID', `trusted root cannot be used: ${(err as Error).message}`, { cause: err });
  }
  const root: SigstoreTrustedRoot = Object.freeze({
    mediaType: message.mediaType,
    tlogs: Object.freeze(tlogs.map((l) => l![1])),
    ctlogs: Object.freeze(ctlogs.map((l) => l![1])),
    certificateAuthorities: Object.freeze(cas.map((a) => a![1])),
    timestampAuthorities: Object.freeze(tsas.map((a) => a![1])),
  });
  states.set(root, { message, material });
  return root;
}

/**
 * Read and validate a `trusted_root.json` file (a private Sigstore
 * deployment's, or a newer public-good one).
 *
 * @param path the file
 * @param options see {@link parseTrustedRoot}
 * @returns the trust material
 * @throws InputError `ERR_NOT_FOUND`, `ERR_UNREADABLE`, `ERR_TRUSTED_ROOT_INVALID`
 * @example
 * ```ts
 * const root = await loadTrustedRoot('private/trusted_root.json');
 * ```
 */
export async function loadTrustedRoot(path: string, options: ParseTrustedRootOptions = {}): Promise<SigstoreTrustedRoot> {
  return parseTrustedRoot(await readInputFile(path, 'trusted root'), options);
}

let publicGood: SigstoreTrustedRoot | undefined;

/**
 * The trusted root of the Sigstore public-good instance (Fulcio, Rekor, the
 * CT log and the timestamp authority at sigstore.dev), shipped inside this
 * package so verification never fetches anything. It is the
 * `trusted_root.json` target of sigstore-js's TUF seed. To follow a later
 * key rotation, pass a newer file with {@link loadTrustedRoot}.
 *
 * @returns the parsed public-good trusted root (the same object on every call)
 * @throws InputError `ERR_TRUSTED_ROOT_INVALID` if the shipped file was damaged
 * @example
 * ```ts
 * await verifySigstoreBundle(bundle, { trustedRoot: publicGoodTrustedRoot(), identities });
 * ```
 */
export function publicGoodTrustedRoot(): SigstoreTrustedRoot {
  publicGood ??= parseTrustedRoot(publicGoodJson as object);
  return publicGood;
}

/** The library trust material of a root parsed here (internal to the binding). */
export function trustMaterialOf(root: SigstoreTrustedRoot, unbounded = false): TrustMaterial {
  const state = states.get(root);
  if (!state) throw new TypeError('"trustedRoot" must come from parseTrustedRoot, loadTrustedRoot or publicGoodTrustedRoot');
  if (!unbounded) return state.material;
  if (!state.unbounded) {
    const lift = <T extends { validFor?: { start?: Date; end?: Date } | undefined }>(v: T): T =>
      ({ ...v, validFor: v.validFor ? { start: v.validFor.start } : undefined }) as T;
    const m = state.message;
    state.unbounded = toTrustMaterial({
      ...m,
      tlogs: m.tlogs.map((l) => ({ ...l, publicKey: l.publicKey ? lift(l.publicKey) : undefined })),
      ctlogs: m.ctlogs.map((l) => ({ ...l, publicKey: l.publicKey ? lift(l.publicKey) : undefined })),
      certificateAuthorities: m.certificateAuthorities.map(lift),
      timestampAuthorities: m.timestampAuthorities.map(lift),
    });
  }
  return state.unbounded;
}

/** Authorities of `root` whose validity ended before `time` (for error messages). */
export function endedBefore(root: SigstoreTrustedRoot, time: Date): string[] {
  const out: string[] = [];
  const check = (kind: string, name: string, v: ValidityPeriod) => {
    if (v.end && v.end.getTime() < time.getTime()) out.push(`${kind} ${name} (valid until ${v.end.toISOString()})`);
  };
  for (const a of root.certificateAuthorities) check('certificate authority', a.uri, a.validFor);
  for (const a of root.timestampAuthorities) check('timestamp authority', a.uri, a.validFor);
  for (const l of root.tlogs) check('transparency log', l.baseUrl, l.validFor);
  for (const l of root.ctlogs) check('CT log', l.baseUrl, l.validFor);
  return out;
}
