/**
 * Offline verification of a Sigstore bundle, layered as sigstore-js is:
 * parse (./bundle.ts) -> normalize (the library's SignedEntity, with our own
 * signature content) -> verify (@sigstore/verify's Verifier against the
 * pinned trusted root) -> policy (our identity match). Around the library we
 * add what 3.x misses: see ./content.ts, ./trusted-root.ts, and the checks
 * marked "3.x" below. Nothing here touches the network.
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import {
  PolicyError as LibraryPolicyError,
  toSignedEntity,
  VerificationError as LibraryVerificationError,
  Verifier,
  type SignedEntity,
  type TrustMaterial,
} from '@sigstore/verify';
import {
  importPublicKey,
  InputError,
  omsKeyHint,
  parseJson,
  ProvenantError,
  toHex,
  VerificationError,
  type Envelope,
  type PublicKey,
  type VerificationErrorCode,
} from 'provenant';
import { parseBundle, type ParsedBundle } from './bundle.js';
import { DsseContent, MessageContent, NODE_HASH, type SignatureContent } from './content.js';
import { isRecord, toBase64, base64Bytes } from './encoding.js';
import { compileIdentityPolicies, matchIdentity, type SigstoreIdentity, type SigstoreIdentityPolicy } from './identity.js';
import { endedBefore, publicGoodTrustedRoot, trustMaterialOf, type SigstoreTrustedRoot } from './trusted-root.js';

/** Options of {@link verifySigstoreBundle}. */
export interface VerifySigstoreBundleOptions {
  /** The pinned trust material. Default: the public-good root shipped with the package. */
  trustedRoot?: SigstoreTrustedRoot;
  /** Who may have signed a certificate-based bundle (any one of them). Required for such bundles. */
  identities?: readonly SigstoreIdentityPolicy[];
  /** The keys a key-based (`publicKey.hint`) bundle may be signed with. Required for such bundles. */
  keys?: readonly PublicKey[];
  /**
   * The signed artifact. Required for a message signature (its digest and
   * signature are checked against it); for a DSSE bundle, it must be a
   * subject of the in-toto statement.
   */
  artifact?: Uint8Array;
  /** Accept only a DSSE envelope with this payloadType (e.g. `application/vnd.in-toto+json`). */
  payloadType?: string;
  /** Transparency-log entries required (default 1). */
  tlogThreshold?: number;
  /** Certificate-transparency proofs (SCTs) required of a certificate (default 1). */
  ctlogThreshold?: number;
  /** Verified signed times (RFC 3161 timestamps, or tlog integrated times) required (default 1). */
  timestampThreshold?: number;
}

/** A verified signed time. */
export interface VerifiedTimestamp {
  source: 'transparency-log' | 'timestamp-authority';
  time: Date;
}

/** A transparency-log entry whose inclusion verified. */
export interface VerifiedTlogEntry {
  logIndex: string;
  /** Hex log id. */
  logId: string;
  kind: string;
  version: string;
  /** When the log integrated it (Rekor v1); absent for Rekor v2. */
  integratedTime?: Date;
}

/** What a successful {@link verifySigstoreBundle} established. */
export interface VerifiedSigstoreBundle {
  mediaType: string;
  /** Bundle format version. */
  version: '0.1' | '0.2' | '0.3';
  /** For a DSSE bundle: the exact signed payload bytes. */
  payload?: Uint8Array;
  /** For a DSSE bundle: its payloadType. */
  payloadType?: string;
  /** For a DSSE bundle: the envelope in its JSON form (one signature). */
  envelope?: Envelope;
  /** For a message signature: the digest it signs. */
  messageDigest?: { algorithm: string; digest: Uint8Array };
  /** For a certificate-based bundle: who the certificate was issued to. */
  identity?: SigstoreIdentity;
  /** For a certificate-based bundle: the policy entry the identity satisfied. */
  matchedPolicy?: SigstoreIdentityPolicy;
  /** For a certificate-based bundle: the signing certificate, PEM. */
  certificate?: string;
  /** For a key-based bundle: the key id (RFC 7638 thumbprint) of the key that verified. */
  keyId?: string;
  /** Every signed time that verified. */
  timestamps: VerifiedTimestamp[];
  /** Every transparency-log entry, each verified. */
  tlogEntries: VerifiedTlogEntry[];
}

const LIBRARY_CODES: Readonly<Record<string, VerificationErrorCode>> = {
  TIMESTAMP_ERROR: 'ERR_TIMESTAMP_INVALID',
  CERTIFICATE_ERROR: 'ERR_CERTIFICATE_INVALID',
  PUBLIC_KEY_ERROR: 'ERR_KEY_MISMATCH',
  TLOG_ERROR: 'ERR_TLOG_MISSING',
  TLOG_INCLUSION_PROOF_ERROR: 'ERR_TLOG_PROOF_INVALID',
  TLOG_INCLUSION_PROMISE_ERROR: 'ERR_TLOG_INVALID',
  TLOG_MISSING_INCLUSION_ERROR: 'ERR_TLOG_INVALID',
  TLOG_BODY_ERROR: 'ERR_TLOG_INVALID',
  SIGNATURE_ERROR: 'ERR_SIGNATURE_INVALID',
  UNTRUSTED_SIGNER_ERROR: 'ERR_IDENTITY_MISMATCH',
};

/** Library failures that an authority's `validFor.end` can cause. */
const TIME_BOUND_FAILURES = new Set(['CERTIFICATE_ERROR', 'TIMESTAMP_ERROR', 'TLOG_INCLUSION_PROMISE_ERROR', 'TLOG_INCLUSION_PROOF_ERROR']);

function threshold(value: number | undefined, name: string): number {
  if (value === undefined) return 1;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`"${name}" expected a non-negative integer, got ${value}`);
  return value;
}

function libraryError(err: unknown): Error {
  if (err instanceof ProvenantError) return err;
  if (err instanceof LibraryVerificationError || err instanceof LibraryPolicyError) {
    const code = LIBRARY_CODES[err.code] ?? 'ERR_SIGNATURE_INVALID';
    const cause = err.cause instanceof Error && err.cause.message !== err.message ? ` (${err.cause.message})` : '';
    return new VerificationError(code, `Sigstore verification failed: ${err.message}${cause}`, { cause: err });
  }
  // Anything else (a checkpoint that is not a number, a DER the library
  // cannot walk) means the bundle is not what it claims: never "verified".
  return new InputError('ERR_MALFORMED', `Sigstore bundle cannot be verified: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/**
 * Certificates, keys and RFC 3161 timestamps are parsed lazily (by Node and
 * by the library): a throw while reading one means unreadable material,
 * reported with a stable code, never a pass and never an internal error.
 */
function readable<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ProvenantError) throw err;
    throw new InputError('ERR_MALFORMED', `Sigstore bundle has unreadable verification material: ${(err as Error)?.message}`, { cause: err });
  }
}

function spkiDer(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

/** The caller's key a `publicKey.hint` names; the hint is unauthenticated, the signature check decides. */
function keyForHint(hint: string, keys: readonly PublicKey[]): PublicKey {
  for (const key of keys) {
    const der = spkiDer(key.keyObject);
    const digest = createHash('sha256').update(der).digest();
    if ([omsKeyHint(key), key.keyId, digest.toString('hex'), digest.toString('base64')].includes(hint)) return key;
  }
  if (keys.length === 1) return keys[0]!;
  throw new VerificationError('ERR_KEY_MISMATCH', `the bundle names key ${JSON.stringify(hint)}, which is none of the ${keys.length} keys given`);
}

function digestOf(algorithm: string, data: Uint8Array): Buffer {
  return createHash(NODE_HASH[algorithm] ?? 'sha256').update(data).digest();
}

/** The digest each tlog entry records must be the one its kind defines, for this envelope (3.x: only SHA-256(payload)). */
function checkTlogDigests(parsed: ParsedBundle, content: DsseContent): void {
  const { payload, pae } = content.digests();
  parsed.message.verificationMaterial!.tlogEntries.forEach((entry, i) => {
    const body = parsed.tlogBodies[i];
    const { kind, version } = entry.kindVersion!;
    const spec = isRecord(body) && isRecord(body.spec) ? body.spec : undefined;
    let recorded: Buffer | undefined;
    let expected = payload;
    const at = (...path: string[]): unknown => path.reduce<unknown>((v, k) => (isRecord(v) ? v[k] : undefined), spec);
    if (kind === 'dsse' && version === '0.0.1') recorded = hexBytes(at('payloadHash', 'value'));
    else if (kind === 'intoto' && version === '0.0.2') recorded = hexBytes(at('content', 'payloadHash', 'value'));
    else if (kind === 'dsse' && version === '0.0.2') recorded = base64Bytes(at('dsseV002', 'payloadHash', 'digest'));
    else if (kind === 'hashedrekord' && version === '0.0.2') {
      // Rekor v2 "hashedrekord over DSSE" (rekor-v2 spec 6.1.4): the entry hashes the PAE.
      recorded = base64Bytes(at('hashedRekordV002', 'data', 'digest'));
      expected = pae;
    } else if (kind === 'hashedrekord') {
      throw new VerificationError('ERR_TLOG_INVALID', `tlog entry ${i} is hashedrekord ${version}, which cannot record a DSSE envelope`);
    } else return; // unknown kinds: the library refuses them
    if (!recorded || !recorded.equals(expected)) {
      throw new VerificationError('ERR_TLOG_INVALID', `tlog entry ${i} (${kind} ${version}) records another payload than the bundle's DSSE envelope`);
    }
  });
}

function hexBytes(value: unknown): Buffer | undefined {
  return typeof value === 'string' && /^([0-9a-f]{2})+$/i.test(value) ? Buffer.from(value, 'hex') : undefined;
}

/** An inclusion proof must be for the tree its checkpoint signs (3.x compares only the computed root). */
function checkProofsAgainstCheckpoints(parsed: ParsedBundle): void {
  parsed.message.verificationMaterial!.tlogEntries.forEach((entry, i) => {
    const proof = entry.inclusionProof;
    if (!proof) return;
    const note = proof.checkpoint!.envelope.split('\n\n')[0] ?? '';
    const [, size, root] = note.split('\n');
    const rootHash = base64Bytes(root);
    if (size === undefined || !/^\d+$/.test(size) || !rootHash) {
      throw new VerificationError('ERR_TLOG_PROOF_INVALID', `tlog entry ${i}: the checkpoint is not a signed tree head (origin, size, root hash)`);
    }
    if (size !== proof.treeSize || !rootHash.equals(proof.rootHash)) {
      throw new VerificationError(
        'ERR_TLOG_PROOF_INVALID',
        `tlog entry ${i}: the inclusion proof is for a tree of ${proof.treeSize} entries with root ${toHex(proof.rootHash)}, ` +
          `but the checkpoint signs ${size} entries with root ${toHex(rootHash)}`,
      );
    }
  });
}

/** The in-toto statement's subjects must include `artifact`. */
function checkSubject(payloadType: string, payload: Uint8Array, artifact: Uint8Array): void {
  let statement: unknown;
  try {
    statement = parseJson(payload, 'signed statement');
  } catch (err) {
    throw new VerificationError('ERR_STATEMENT_INVALID', `the DSSE payload (${payloadType}) is not a JSON statement`, { cause: err });
  }
  const subjects = isRecord(statement) && Array.isArray(statement.subject) ? statement.subject : [];
  for (const subject of subjects) {
    const digests = isRecord(subject) && isRecord(subject.digest) ? subject.digest : {};
    for (const algorithm of ['sha256', 'sha384', 'sha512'] as const) {
      const want = digests[algorithm];
      if (typeof want === 'string' && want.toLowerCase() === createHash(algorithm).update(artifact).digest('hex')) return;
    }
  }
  throw new VerificationError('ERR_DIGEST_MISMATCH', 'the artifact is not a subject of the signed statement');
}

/** The signed times the library will check: RFC 3161 times, and integrated times under a signed entry timestamp. */
function candidateTimes(entity: SignedEntity): Date[] {
  return entity.timestamps.flatMap((t) => {
    if (t.$case === 'timestamp-authority') return [t.timestamp.signingTime];
    return t.tlogEntry.inclusionPromise ? [new Date(Number(t.tlogEntry.integratedTime) * 1000)] : [];
  });
}

/**
 * Verify a Sigstore bundle (v0.1 to v0.3) fully offline against a pinned
 * trusted root: the certificate chain to a Fulcio CA of the root at a signed
 * time (RFC 3161 timestamp or transparency-log integration time, so expired
 * short-lived certificates verify as Sigstore intends), its SCTs, every
 * transparency-log entry (signed entry timestamp or inclusion proof up to a
 * signed checkpoint) and that it records this signature, the signature
 * itself, and last the identity policy. Key-based bundles verify with the
 * caller's keys instead of a certificate.
 *
 * @param bundle the bundle's JSON text or bytes, or a parsed object
 * @param options trusted root, identity policy or keys, artifact, thresholds
 * @returns what verified: payload or digest, identity or key, times, log entries
 * @throws VerificationError `ERR_UNKNOWN_MEDIA_TYPE`, `ERR_SIGNATURE_INVALID`, `ERR_DIGEST_MISMATCH`,
 *   `ERR_PAYLOAD_TYPE`, `ERR_KEY_MISMATCH`, `ERR_IDENTITY_MISMATCH`, `ERR_CERTIFICATE_INVALID`,
 *   `ERR_CERTIFICATE_EXPIRED`, `ERR_TIMESTAMP_INVALID`, `ERR_TIMESTAMP_MISSING`, `ERR_TLOG_INVALID`,
 *   `ERR_TLOG_MISSING`, `ERR_TLOG_PROOF_INVALID`, `ERR_TRUSTED_ROOT_EXPIRED`, `ERR_STATEMENT_INVALID`
 * @throws InputError `ERR_MALFORMED` (every bad field named), `ERR_USAGE` (a message signature without its artifact),
 *   `ERR_KEY_UNSUPPORTED`
 * @throws TypeError when neither `identities` nor `keys` is given
 * @example
 * ```ts
 * const verified = await verifySigstoreBundle(await readFile('model.sig'), {
 *   identities: [{ san: 'release@example.com', issuer: 'https://accounts.google.com' }],
 * });
 * console.log(verified.identity, verified.timestamps);
 * ```
 */
export async function verifySigstoreBundle(
  bundle: string | Uint8Array | object,
  options: VerifySigstoreBundleOptions,
): Promise<VerifiedSigstoreBundle> {
  const artifact = options.artifact ? new Uint8Array(options.artifact) : undefined;
  const input = bundle instanceof Uint8Array ? new Uint8Array(bundle) : bundle;
  if (!options.identities && !options.keys) throw new TypeError('verifySigstoreBundle needs "identities" (for certificates) or "keys" (for key bundles)');
  const policies = compileIdentityPolicies(options.identities ?? []);
  const keys = [...(options.keys ?? [])];
  const thresholds = {
    tlogThreshold: threshold(options.tlogThreshold, 'tlogThreshold'),
    ctlogThreshold: threshold(options.ctlogThreshold, 'ctlogThreshold'),
    timestampThreshold: threshold(options.timestampThreshold, 'timestampThreshold'),
  };
  const root = options.trustedRoot ?? publicGoodTrustedRoot();
  const material = trustMaterialOf(root);

  const parsed = parseBundle(input);

  // Who must have signed: the certificate's key, or one of the caller's keys.
  let expectedKey: KeyObject;
  let keyForDsse: PublicKey | undefined;
  let certificatePem: string | undefined;
  if (parsed.key.type === 'certificate') {
    if (policies.length === 0) {
      throw new VerificationError('ERR_KEY_MISMATCH', 'the bundle is signed with a Sigstore certificate; verifying it needs an identity policy, not a key');
    }
    const der = parsed.key.certificates[0]!;
    ({ expectedKey, certificatePem } = readable(() => {
      const leaf = new X509Certificate(der);
      return { expectedKey: leaf.publicKey, certificatePem: leaf.toString() };
    }));
  } else {
    if (keys.length === 0) {
      throw new VerificationError('ERR_KEY_MISMATCH', 'the bundle is signed with a key (publicKey.hint), not a certificate; no key was given to verify it');
    }
    keyForDsse = keyForHint(parsed.key.hint, keys);
    expectedKey = keyForDsse.keyObject;
  }

  let content: SignatureContent;
  if (parsed.dsse) {
    if (options.payloadType !== undefined && parsed.dsse.payloadType !== options.payloadType) {
      throw new VerificationError('ERR_PAYLOAD_TYPE', `DSSE payloadType is ${JSON.stringify(parsed.dsse.payloadType)}, expected ${JSON.stringify(options.payloadType)}`);
    }
    keyForDsse ??= await importPublicKey(expectedKey);
    const dsse = new DsseContent(parsed.dsse, keyForDsse);
    checkTlogDigests(parsed, dsse);
    content = dsse;
  } else {
    const ms = parsed.messageSignature!;
    if (options.payloadType !== undefined) {
      throw new VerificationError('ERR_PAYLOAD_TYPE', `the bundle carries a message signature, not a DSSE envelope of type ${JSON.stringify(options.payloadType)}`);
    }
    if (!artifact) throw new InputError('ERR_USAGE', 'the bundle signs an artifact directly (message signature): pass the artifact to verify it');
    // 3.x compares the bundle's digest with the artifact only through a tlog entry; with none it never does.
    if (!digestOf(ms.algorithm, artifact).equals(ms.digest)) {
      throw new VerificationError('ERR_DIGEST_MISMATCH', `the bundle's message digest (${ms.algorithm}) is not the digest of the artifact`);
    }
    content = new MessageContent(ms, artifact, expectedKey);
  }
  checkProofsAgainstCheckpoints(parsed);

  const entity: SignedEntity = readable(() => ({ ...toSignedEntity(parsed.message, artifact ? Buffer.from(artifact) : undefined), signature: content }));
  const times = readable(() => candidateTimes(entity));
  const requiredTimes = parsed.key.type === 'certificate' ? Math.max(1, thresholds.timestampThreshold) : thresholds.timestampThreshold;
  if (times.length < requiredTimes) {
    throw new VerificationError(
      'ERR_TIMESTAMP_MISSING',
      `the bundle has ${times.length} signed timestamps; ${requiredTimes} required` +
        (parsed.key.type === 'certificate' ? ' (a short-lived certificate is checked at a signed time, never at the current time)' : ''),
    );
  }
  const tlogCount = entity.tlogEntries.length;
  if (tlogCount < thresholds.tlogThreshold) {
    throw new VerificationError('ERR_TLOG_MISSING', `the bundle has ${tlogCount} transparency-log entries; ${thresholds.tlogThreshold} required`);
  }
  if (entity.key.$case === 'certificate') {
    const certificate = entity.key.certificate;
    const { notBefore, notAfter } = readable(() => ({ notBefore: certificate.notBefore, notAfter: certificate.notAfter }));
    // Sigstore's rule: the certificate must have been valid at every signed time.
    const outside = times.filter((t) => t.getTime() < notBefore.getTime() || t.getTime() > notAfter.getTime());
    if (outside.length > 0) {
      throw new VerificationError(
        'ERR_CERTIFICATE_EXPIRED',
        `the bundle's signed time ${outside.map((t) => t.toISOString()).join(', ')} is outside the certificate's validity ` +
          `(${notBefore.toISOString()} to ${notAfter.toISOString()})`,
      );
    }
  }

  const keyFinder = () => ({ publicKey: expectedKey, validFor: () => true });
  const verifierOptions = { ...thresholds, timestampThreshold: requiredTimes };
  const verifyWith = (trust: TrustMaterial) => new Verifier({ ...trust, publicKey: keyFinder }, verifierOptions).verify(entity);
  let signer;
  try {
    signer = verifyWith(material);
  } catch (err) {
    if (err instanceof LibraryVerificationError && TIME_BOUND_FAILURES.has(err.code)) {
      // Would it verify if no authority of the root had ended? Then the root is what expired.
      let verifiesUnbounded = false;
      try {
        verifyWith(trustMaterialOf(root, true));
        verifiesUnbounded = true;
      } catch {
        // not a question of the root's validity
      }
      if (verifiesUnbounded) {
        const latest = new Date(Math.max(...times.map((t) => t.getTime())));
        throw new VerificationError(
          'ERR_TRUSTED_ROOT_EXPIRED',
          `the trusted root's authorities for this signature had expired when it was made (${latest.toISOString()}): ` +
            `${endedBefore(root, latest).join('; ') || 'validity ended'}`,
          { cause: err },
        );
      }
    }
    throw libraryError(err);
  }

  const result: VerifiedSigstoreBundle = {
    mediaType: parsed.mediaType,
    version: parsed.version,
    timestamps: entity.timestamps.flatMap((t): VerifiedTimestamp[] => {
      if (t.$case === 'timestamp-authority') return [{ source: 'timestamp-authority', time: t.timestamp.signingTime }];
      return t.tlogEntry.inclusionPromise ? [{ source: 'transparency-log', time: new Date(Number(t.tlogEntry.integratedTime) * 1000) }] : [];
    }),
    tlogEntries: entity.tlogEntries.map((e) => ({
      logIndex: e.logIndex,
      logId: toHex(e.logId!.keyId),
      kind: e.kindVersion!.kind,
      version: e.kindVersion!.version,
      ...(e.integratedTime && e.integratedTime !== '0' ? { integratedTime: new Date(Number(e.integratedTime) * 1000) } : {}),
    })),
  };
  if (parsed.key.type === 'certificate') {
    const identity: SigstoreIdentity = {
      san: signer.identity?.subjectAlternativeName ?? '',
      issuer: signer.identity?.extensions?.issuer,
    };
    result.matchedPolicy = matchIdentity(identity, policies);
    result.identity = identity;
    result.certificate = certificatePem!;
  } else {
    result.keyId = keyForDsse!.keyId;
  }
  if (parsed.dsse) {
    const { payload, payloadType, signature, keyid } = parsed.dsse;
    if (artifact) checkSubject(payloadType, payload, artifact);
    result.payload = new Uint8Array(payload);
    result.payloadType = payloadType;
    result.envelope = { payload: toBase64(payload), payloadType, signatures: [{ keyid, sig: toBase64(signature) }] };
  } else {
    result.messageDigest = { algorithm: parsed.messageSignature!.algorithm, digest: new Uint8Array(parsed.messageSignature!.digest) };
  }
  return result;
}
