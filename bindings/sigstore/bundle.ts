/**
 * Sigstore bundles (v0.1 to v0.3) in their protobuf-JSON form: strict parsing
 * into the message shape @sigstore/verify consumes, and serialization of the
 * bundles @sigstore/sign builds. Written here, rather than taken from
 * @sigstore/bundle, so that every bad field is reported with its path and the
 * binding depends only on @sigstore/sign and @sigstore/verify.
 */
import { X509Certificate } from 'node:crypto';
import type { toSignedEntity } from '@sigstore/verify';
import { InputError, parseJson, VerificationError } from 'provenant';
import { base64Bytes, FieldProblems, int64String, isRecord, toBase64, withoutNulls } from './encoding.js';
import { HASH_ALGORITHMS } from './trusted-root.js';

/** The protobuf-shaped bundle @sigstore/verify and @sigstore/sign use. */
export type BundleMessage = Parameters<typeof toSignedEntity>[0];
type VerificationMaterialMessage = NonNullable<BundleMessage['verificationMaterial']>;
/** One transparency-log entry, protobuf-shaped. */
export type TLogEntryMessage = VerificationMaterialMessage['tlogEntries'][number];

/** Bundle v0.3, as @sigstore/sign and OMS write it. */
export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** Every bundle media type this binding reads, with its version. */
export const SIGSTORE_BUNDLE_MEDIA_TYPES: Readonly<Record<string, '0.1' | '0.2' | '0.3'>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, '0.1' | '0.2' | '0.3'>, {
    'application/vnd.dev.sigstore.bundle+json;version=0.1': '0.1',
    'application/vnd.dev.sigstore.bundle+json;version=0.2': '0.2',
    'application/vnd.dev.sigstore.bundle+json;version=0.3': '0.3',
    [BUNDLE_V03_MEDIA_TYPE]: '0.3',
  }),
);

/** Largest bundle accepted (a bundle is a signature, not the artifact). */
export const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;

/** A Sigstore bundle in its JSON form (protobuf JSON: bytes as base64, int64 as strings). */
export interface SigstoreBundleJson {
  mediaType: string;
  verificationMaterial: {
    publicKey?: { hint: string };
    certificate?: { rawBytes: string };
    x509CertificateChain?: { certificates: { rawBytes: string }[] };
    tlogEntries: SigstoreTlogEntryJson[];
    timestampVerificationData?: { rfc3161Timestamps: { signedTimestamp: string }[] };
  };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string; keyid: string }[] };
  messageSignature?: { messageDigest: { algorithm: string; digest: string }; signature: string };
}

/** A transparency-log entry in a bundle's JSON form. */
export interface SigstoreTlogEntryJson {
  logIndex: string;
  logId: { keyId: string };
  kindVersion: { kind: string; version: string };
  integratedTime: string;
  inclusionPromise?: { signedEntryTimestamp: string };
  inclusionProof?: { logIndex: string; rootHash: string; treeSize: string; hashes: string[]; checkpoint: { envelope: string } };
  canonicalizedBody: string;
}

/** A bundle after parsing: the library's message plus what our own checks need. */
export interface ParsedBundle {
  mediaType: string;
  version: '0.1' | '0.2' | '0.3';
  message: BundleMessage;
  /** The DSSE envelope (exactly one signature), when the bundle has one. */
  dsse?: { payload: Buffer; payloadType: string; signature: Buffer; keyid: string };
  /** The message signature, when the bundle has one. */
  messageSignature?: { algorithm: string; digest: Buffer; signature: Buffer };
  /** The signing key: a certificate (leaf first) or a key hint. */
  key: { type: 'certificate'; certificates: Buffer[] } | { type: 'key'; hint: string };
  /** Each tlog entry's canonicalized body, parsed. */
  tlogBodies: unknown[];
}

function bytesField(value: unknown, path: string, bad: FieldProblems, nonEmpty = true): Buffer {
  const bytes = base64Bytes(value);
  if (!bytes || (nonEmpty && bytes.length === 0)) {
    bad.add(path, nonEmpty ? 'expected non-empty base64 bytes' : 'expected base64 bytes');
    return Buffer.alloc(0);
  }
  return bytes;
}

function certificateField(value: unknown, path: string, bad: FieldProblems): Buffer {
  const der = isRecord(value) ? bytesField(value.rawBytes, `${path}.rawBytes`, bad) : undefined;
  if (!isRecord(value)) bad.add(path, 'expected an object with rawBytes');
  if (der && der.length > 0) {
    try {
      new X509Certificate(der);
    } catch (err) {
      bad.add(`${path}.rawBytes`, `not an X.509 certificate (${(err as Error).message})`);
    }
  }
  return der ?? Buffer.alloc(0);
}

function parseTlogEntry(raw: unknown, path: string, version: string, bad: FieldProblems): [TLogEntryMessage, unknown] | undefined {
  if (!isRecord(raw)) {
    bad.add(path, 'expected an object');
    return undefined;
  }
  const before = bad.problems.length;
  const logIndex = int64String(raw.logIndex);
  if (logIndex === undefined) bad.add(`${path}.logIndex`, 'expected an unsigned integer');
  const keyId = isRecord(raw.logId) ? bytesField(raw.logId.keyId, `${path}.logId.keyId`, bad) : undefined;
  if (!isRecord(raw.logId)) bad.add(`${path}.logId`, 'required');
  const kv = raw.kindVersion;
  if (!isRecord(kv) || typeof kv.kind !== 'string' || typeof kv.version !== 'string' || !kv.kind || !kv.version) {
    bad.add(`${path}.kindVersion`, 'expected {kind, version} strings');
  }
  const integratedTime = raw.integratedTime === undefined ? '0' : int64String(raw.integratedTime);
  if (integratedTime === undefined) bad.add(`${path}.integratedTime`, 'expected an unsigned integer (seconds)');
  let inclusionPromise: TLogEntryMessage['inclusionPromise'];
  if (raw.inclusionPromise !== undefined) {
    const p = raw.inclusionPromise;
    inclusionPromise = { signedEntryTimestamp: bytesField(isRecord(p) ? p.signedEntryTimestamp : undefined, `${path}.inclusionPromise.signedEntryTimestamp`, bad) };
  } else if (version === '0.1') {
    bad.add(`${path}.inclusionPromise`, 'required in a v0.1 bundle');
  }
  let inclusionProof: TLogEntryMessage['inclusionProof'];
  if (raw.inclusionProof !== undefined) {
    const p = raw.inclusionProof;
    const pp = `${path}.inclusionProof`;
    if (!isRecord(p)) bad.add(pp, 'expected an object');
    else {
      const proofIndex = int64String(p.logIndex);
      if (proofIndex === undefined) bad.add(`${pp}.logIndex`, 'expected an unsigned integer');
      const treeSize = int64String(p.treeSize);
      if (treeSize === undefined) bad.add(`${pp}.treeSize`, 'expected an unsigned integer');
      const rootHash = bytesField(p.rootHash, `${pp}.rootHash`, bad);
      const hashes: Buffer[] = [];
      if (p.hashes !== undefined && !Array.isArray(p.hashes)) bad.add(`${pp}.hashes`, 'expected an array');
      else ((p.hashes as unknown[] | undefined) ?? []).forEach((h, i) => hashes.push(bytesField(h, `${pp}.hashes[${i}]`, bad)));
      const envelope = isRecord(p.checkpoint) ? p.checkpoint.envelope : undefined;
      if (typeof envelope !== 'string' || envelope === '') bad.add(`${pp}.checkpoint.envelope`, 'expected a signed checkpoint note');
      inclusionProof = {
        logIndex: proofIndex ?? '0',
        rootHash,
        treeSize: treeSize ?? '0',
        hashes,
        checkpoint: { envelope: typeof envelope === 'string' ? envelope : '' },
      };
    }
  } else if (version !== '0.1') {
    bad.add(`${path}.inclusionProof`, `required in a v${version} bundle`);
  }
  const body = bytesField(raw.canonicalizedBody, `${path}.canonicalizedBody`, bad);
  let parsedBody: unknown;
  if (body.length > 0) {
    try {
      parsedBody = parseJson(body, `${path}.canonicalizedBody`);
    } catch (err) {
      bad.add(`${path}.canonicalizedBody`, (err as Error).message);
    }
  }
  if (bad.problems.length !== before) return undefined;
  const entry: TLogEntryMessage = {
    logIndex: logIndex!,
    logId: { keyId: keyId! },
    kindVersion: { kind: (kv as { kind: string }).kind, version: (kv as { version: string }).version },
    integratedTime: integratedTime!,
    inclusionPromise,
    inclusionProof,
    canonicalizedBody: body,
  };
  return [entry, parsedBody];
}

/**
 * Parse a Sigstore bundle (v0.1, v0.2 or v0.3) strictly.
 *
 * @param input the bundle's JSON text or bytes, or an already-parsed object
 * @returns the library message and the fields our own checks need
 * @throws VerificationError `ERR_UNKNOWN_MEDIA_TYPE` for a media type (version) this binding does not read
 * @throws InputError `ERR_MALFORMED` naming every bad field; `ERR_LIMIT_EXCEEDED`
 */
export function parseBundle(input: string | Uint8Array | object): ParsedBundle {
  const raw = withoutNulls(
    typeof input === 'string' || input instanceof Uint8Array ? parseJson(input, 'Sigstore bundle', { maxBytes: MAX_BUNDLE_BYTES }) : input,
  );
  if (!isRecord(raw)) throw new InputError('ERR_MALFORMED', 'Sigstore bundle must be a JSON object');
  const version = typeof raw.mediaType === 'string' ? SIGSTORE_BUNDLE_MEDIA_TYPES[raw.mediaType] : undefined;
  if (!version) {
    throw new VerificationError(
      'ERR_UNKNOWN_MEDIA_TYPE',
      `Sigstore bundle has media type ${JSON.stringify(raw.mediaType)}; provenant reads ${Object.keys(SIGSTORE_BUNDLE_MEDIA_TYPES).join(', ')}`,
    );
  }
  const bad = new FieldProblems();
  const vm = raw.verificationMaterial;
  let key: ParsedBundle['key'] = { type: 'key', hint: '' };
  let keyContent: VerificationMaterialMessage['content'] | undefined;
  const entries: [TLogEntryMessage, unknown][] = [];
  const timestamps: { signedTimestamp: Buffer }[] = [];
  if (!isRecord(vm)) bad.add('verificationMaterial', 'required');
  else {
    const present = ['publicKey', 'x509CertificateChain', 'certificate'].filter((k) => vm[k] !== undefined);
    if (present.length !== 1) {
      bad.add('verificationMaterial', `expected exactly one of publicKey, x509CertificateChain, certificate (got ${present.join(', ') || 'none'})`);
    } else if (vm.publicKey !== undefined) {
      const pk = vm.publicKey;
      const hint = isRecord(pk) ? pk.hint : undefined;
      if (hint !== undefined && typeof hint !== 'string') bad.add('verificationMaterial.publicKey.hint', 'expected a string');
      if (!isRecord(pk)) bad.add('verificationMaterial.publicKey', 'expected an object');
      key = { type: 'key', hint: typeof hint === 'string' ? hint : '' };
      keyContent = { $case: 'publicKey', publicKey: { hint: key.hint } };
    } else if (vm.certificate !== undefined) {
      const der = certificateField(vm.certificate, 'verificationMaterial.certificate', bad);
      key = { type: 'certificate', certificates: [der] };
      keyContent = { $case: 'certificate', certificate: { rawBytes: der } };
    } else {
      if (version === '0.3') bad.add('verificationMaterial.x509CertificateChain', 'not allowed in a v0.3 bundle (use certificate)');
      const chain = isRecord(vm.x509CertificateChain) ? vm.x509CertificateChain.certificates : undefined;
      const certs: Buffer[] = [];
      if (!Array.isArray(chain) || chain.length === 0) bad.add('verificationMaterial.x509CertificateChain.certificates', 'expected a non-empty array');
      else chain.forEach((c, i) => certs.push(certificateField(c, `verificationMaterial.x509CertificateChain.certificates[${i}]`, bad)));
      key = { type: 'certificate', certificates: certs };
      keyContent = { $case: 'x509CertificateChain', x509CertificateChain: { certificates: certs.map((rawBytes) => ({ rawBytes })) } };
    }
    if (vm.tlogEntries !== undefined && !Array.isArray(vm.tlogEntries)) bad.add('verificationMaterial.tlogEntries', 'expected an array');
    ((vm.tlogEntries as unknown[] | undefined) ?? []).forEach((e, i) => {
      const parsed = parseTlogEntry(e, `verificationMaterial.tlogEntries[${i}]`, version, bad);
      if (parsed) entries.push(parsed);
    });
    const tvd = vm.timestampVerificationData;
    if (tvd !== undefined && tvd !== null) {
      const list = isRecord(tvd) ? tvd.rfc3161Timestamps : undefined;
      if (list !== undefined && !Array.isArray(list)) bad.add('verificationMaterial.timestampVerificationData.rfc3161Timestamps', 'expected an array');
      ((list as unknown[] | undefined) ?? []).forEach((t, i) => {
        const path = `verificationMaterial.timestampVerificationData.rfc3161Timestamps[${i}].signedTimestamp`;
        timestamps.push({ signedTimestamp: bytesField(isRecord(t) ? t.signedTimestamp : undefined, path, bad) });
      });
    }
  }

  let content: BundleMessage['content'] | undefined;
  let dsse: ParsedBundle['dsse'];
  let messageSignature: ParsedBundle['messageSignature'];
  const kinds = ['dsseEnvelope', 'messageSignature'].filter((k) => raw[k] !== undefined);
  if (kinds.length !== 1) bad.add('content', `expected exactly one of dsseEnvelope, messageSignature (got ${kinds.join(', ') || 'none'})`);
  else if (raw.dsseEnvelope !== undefined) {
    const env = raw.dsseEnvelope;
    if (!isRecord(env)) bad.add('dsseEnvelope', 'expected an object');
    else {
      const payload = bytesField(env.payload, 'dsseEnvelope.payload', bad);
      if (typeof env.payloadType !== 'string') bad.add('dsseEnvelope.payloadType', 'expected a string');
      const sigs = env.signatures;
      if (!Array.isArray(sigs) || sigs.length !== 1) {
        // The bundle spec allows exactly one; @sigstore/verify 3.x would check only the first of several.
        bad.add('dsseEnvelope.signatures', `a Sigstore bundle carries exactly one DSSE signature (got ${Array.isArray(sigs) ? sigs.length : 'none'})`);
      } else {
        const s = sigs[0];
        const sig = bytesField(isRecord(s) ? s.sig : undefined, 'dsseEnvelope.signatures[0].sig', bad);
        const keyid = isRecord(s) ? s.keyid : undefined;
        if (keyid !== undefined && keyid !== null && typeof keyid !== 'string') bad.add('dsseEnvelope.signatures[0].keyid', 'expected a string');
        const payloadType = typeof env.payloadType === 'string' ? env.payloadType : '';
        dsse = { payload, payloadType, signature: sig, keyid: typeof keyid === 'string' ? keyid : '' };
        content = { $case: 'dsseEnvelope', dsseEnvelope: { payload, payloadType, signatures: [{ sig, keyid: dsse.keyid }] } };
      }
    }
  } else {
    const ms = raw.messageSignature;
    if (!isRecord(ms)) bad.add('messageSignature', 'expected an object');
    else {
      const md = ms.messageDigest;
      const algorithm = isRecord(md) ? String(md.algorithm) : '';
      const algorithmNumber = HASH_ALGORITHMS[algorithm];
      if (algorithmNumber === undefined) bad.add('messageSignature.messageDigest.algorithm', `unknown hash algorithm ${JSON.stringify(isRecord(md) ? md.algorithm : undefined)}`);
      const digest = bytesField(isRecord(md) ? md.digest : undefined, 'messageSignature.messageDigest.digest', bad);
      const signature = bytesField(ms.signature, 'messageSignature.signature', bad);
      messageSignature = { algorithm, digest, signature };
      content = {
        $case: 'messageSignature',
        messageSignature: { messageDigest: { algorithm: algorithmNumber ?? 0, digest }, signature },
      };
    }
  }
  if (!bad.ok || !content || !keyContent) {
    throw new InputError('ERR_MALFORMED', `malformed Sigstore bundle:\n  ${bad.problems.join('\n  ')}`);
  }
  const message: BundleMessage = {
    mediaType: raw.mediaType as string,
    verificationMaterial: {
      content: keyContent,
      tlogEntries: entries.map(([e]) => e),
      timestampVerificationData: { rfc3161Timestamps: timestamps },
    },
    content,
  };
  return {
    mediaType: raw.mediaType as string,
    version,
    message,
    ...(dsse ? { dsse } : {}),
    ...(messageSignature ? { messageSignature } : {}),
    key,
    tlogBodies: entries.map(([, body]) => body),
  };
}

const HASH_NAMES: Readonly<Record<number, string>> = { 1: 'SHA2_256', 2: 'SHA2_384', 3: 'SHA2_512', 4: 'SHA3_256', 5: 'SHA3_384' };

function tlogEntryToJson(e: TLogEntryMessage): SigstoreTlogEntryJson {
  const out: SigstoreTlogEntryJson = {
    logIndex: e.logIndex,
    logId: { keyId: toBase64(e.logId!.keyId) },
    kindVersion: { kind: e.kindVersion!.kind, version: e.kindVersion!.version },
    integratedTime: e.integratedTime,
    canonicalizedBody: toBase64(e.canonicalizedBody),
  };
  if (e.inclusionPromise) out.inclusionPromise = { signedEntryTimestamp: toBase64(e.inclusionPromise.signedEntryTimestamp) };
  if (e.inclusionProof) {
    const p = e.inclusionProof;
    out.inclusionProof = {
      logIndex: p.logIndex,
      rootHash: toBase64(p.rootHash),
      treeSize: p.treeSize,
      hashes: p.hashes.map(toBase64),
      checkpoint: { envelope: p.checkpoint!.envelope },
    };
  }
  // Keep protobuf-JSON field order: canonicalizedBody last.
  const { canonicalizedBody, ...rest } = out;
  return { ...rest, canonicalizedBody };
}

/**
 * Serialize a bundle @sigstore/sign built into its protobuf-JSON form
 * (what `sigstore verify`, cosign and `model_signing` read).
 *
 * @param bundle the library's bundle message
 * @returns the JSON object
 */
export function bundleToJson(bundle: BundleMessage): SigstoreBundleJson {
  const vm = bundle.verificationMaterial!;
  const material: SigstoreBundleJson['verificationMaterial'] = { tlogEntries: [] };
  const c = vm.content!;
  if (c.$case === 'publicKey') material.publicKey = { hint: c.publicKey.hint };
  else if (c.$case === 'certificate') material.certificate = { rawBytes: toBase64(c.certificate.rawBytes) };
  else material.x509CertificateChain = { certificates: c.x509CertificateChain.certificates.map((x) => ({ rawBytes: toBase64(x.rawBytes) })) };
  material.tlogEntries = vm.tlogEntries.map(tlogEntryToJson);
  const stamps = vm.timestampVerificationData?.rfc3161Timestamps ?? [];
  if (stamps.length) material.timestampVerificationData = { rfc3161Timestamps: stamps.map((t) => ({ signedTimestamp: toBase64(t.signedTimestamp) })) };
  const out: SigstoreBundleJson = { mediaType: bundle.mediaType, verificationMaterial: material };
  const content = bundle.content!;
  if (content.$case === 'dsseEnvelope') {
    const env = content.dsseEnvelope;
    out.dsseEnvelope = {
      payload: toBase64(env.payload),
      payloadType: env.payloadType,
      signatures: env.signatures.map((s) => ({ sig: toBase64(s.sig), keyid: s.keyid })),
    };
  } else {
    const ms = content.messageSignature;
    out.messageSignature = {
      messageDigest: { algorithm: HASH_NAMES[ms.messageDigest!.algorithm] ?? 'SHA2_256', digest: toBase64(ms.messageDigest!.digest) },
      signature: toBase64(ms.signature),
    };
  }
  return out;
}
