/**
 * X.509 for C2PA signing: development certificates (a CA and a leaf with the
 * C2PA signing profile), and the profile checks a signer's chain must pass
 * before anything is signed with it.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign, X509Certificate, type KeyObject } from 'node:crypto';
import { InputError } from 'provenant';
import {
  bitString,
  booleanTrue,
  children,
  explicit,
  namedBits,
  octetString,
  oid,
  oidText,
  readTlv,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
  type Der,
} from './der.js';

/** Certificate algorithms `createDevCertificates` makes: ECDSA P-256 with SHA-256, P-384 with SHA-384, Ed25519. */
export type CertificateAlgorithm = 'es256' | 'es384' | 'ed25519';

/** The algorithms of {@link CertificateAlgorithm}, for option parsing. */
export const CERTIFICATE_ALGORITHMS: readonly CertificateAlgorithm[] = ['es256', 'es384', 'ed25519'];

/** Extended key usages a C2PA signing certificate may carry (one of them is required). */
export const C2PA_SIGNING_EKUS = {
  emailProtection: '1.3.6.1.5.5.7.3.4',
  documentSigning: '1.3.6.1.5.5.7.3.36',
  c2paSigning: '1.3.6.1.4.1.62558.2.1',
  microsoftC2paSigning: '1.3.6.1.4.1.311.76.59.1.9',
} as const;

/**
 * The EKUs a reader must accept for provenant's certificates, in c2pa-rs's
 * `trust_config` form (one OID per line): the signing EKUs above plus the
 * time-stamping and OCSP ones c2pa-rs lists by default.
 */
export const C2PA_TRUST_CONFIG = [
  ...Object.values(C2PA_SIGNING_EKUS),
  '1.3.6.1.5.5.7.3.8', // id-kp-timeStamping
  '1.3.6.1.5.5.7.3.9', // id-kp-OCSPSigning
].join('\n');

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  anyExtendedKeyUsage: '2.5.29.37.0',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ed25519: '1.3.101.112',
} as const;

/** KeyUsage bit numbers (RFC 5280 section 4.2.1.3). */
const KU = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** What `createDevCertificates` returns: PEM text, ready to write. */
export interface DevCertificates {
  /** The development root CA certificate: the trust anchor to give readers. */
  caPem: string;
  /** The signing chain: the leaf certificate (the root is left out, as C2PA wants). */
  chainPem: string;
  /** The leaf's private key, PKCS#8 PEM. */
  keyPem: string;
  algorithm: CertificateAlgorithm;
  /** When the leaf starts and stops being valid. */
  notBefore: Date;
  notAfter: Date;
}

/** Options of {@link createDevCertificates}. */
export interface DevCertificateOptions {
  /** Key and signature algorithm of both certificates (default `es256`). */
  algorithm?: CertificateAlgorithm;
  /** Days the leaf is valid (default 365; the CA gets ten years). */
  validDays?: number;
  /** The leaf's organization (default "provenant development"). */
  organization?: string;
  /** The leaf's common name (default "provenant development signer"). */
  commonName?: string;
  /** The current time (default now). */
  now?: Date;
}

function generateKey(algorithm: CertificateAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  if (algorithm === 'ed25519') return generateKeyPairSync('ed25519');
  return generateKeyPairSync('ec', { namedCurve: algorithm === 'es256' ? 'P-256' : 'P-384' });
}

function signatureAlgorithm(algorithm: CertificateAlgorithm): Der {
  // RFC 5758: no parameters for ECDSA; RFC 8410: absent for Ed25519.
  if (algorithm === 'ed25519') return sequence(oid(OID.ed25519));
  return sequence(oid(algorithm === 'es256' ? OID.ecdsaWithSha256 : OID.ecdsaWithSha384));
}

function signWith(algorithm: CertificateAlgorithm, key: KeyObject, data: Uint8Array): Uint8Array {
  const hash = algorithm === 'ed25519' ? null : algorithm === 'es256' ? 'sha256' : 'sha384';
  return new Uint8Array(cryptoSign(hash, data, key));
}

function name(attributes: readonly [string, string][]): Der {
  return sequence(...attributes.map(([type, value]) => set(sequence(oid(type), utf8String(value)))));
}

function extension(type: string, critical: boolean, value: Der): Der {
  return critical ? sequence(oid(type), booleanTrue(), octetString(value)) : sequence(oid(type), octetString(value));
}

/** RFC 5280 method 1 key identifier: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: Uint8Array): Uint8Array {
  const [, bits] = children(readTlv(spki).content);
  return new Uint8Array(createHash('sha1').update(bits!.content.subarray(1)).digest());
}

function serialNumber(): Der {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40; // positive, and 16 bytes long
  return unsignedInteger(bytes);
}

function certificate(
  algorithm: CertificateAlgorithm,
  issuerKey: KeyObject,
  issuer: Der,
  subject: Der,
  subjectSpki: Uint8Array,
  notBefore: Date,
  notAfter: Date,
  extensions: readonly Der[],
): Uint8Array {
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    serialNumber(),
    signatureAlgorithm(algorithm),
    issuer,
    sequence(time(notBefore), time(notAfter)),
    subject,
    subjectSpki,
    explicit(3, sequence(...extensions)),
  );
  return sequence(tbs, signatureAlgorithm(algorithm), bitString(signWith(algorithm, issuerKey, tbs)));
}

function pem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

/**
 * Make a development CA and a leaf certificate with the C2PA signing
 * profile (not a CA, issued by the CA, authority key identifier, key usage
 * digitalSignature, extended key usages emailProtection, documentSigning
 * and C2PA signing). Both names say "not for production": readers trust
 * them only when given `caPem` as a trust anchor.
 *
 * @param options algorithm (default `es256`), validity, names, the current time
 * @returns the CA certificate, the chain (the leaf) and the leaf's key, as PEM
 * @throws RangeError for a `validDays` that is not a positive integer
 * @example
 * ```ts
 * const dev = createDevCertificates({ algorithm: 'es256' });
 * await signImage(png, 'image/png', { certificateChain: dev.chainPem, key: dev.keyPem });
 * ```
 */
export function createDevCertificates(options: DevCertificateOptions = {}): DevCertificates {
  return buildDevCertificates(options, {});
}

/**
 * A leaf that breaks the C2PA profile on purpose, for tests of the
 * profile checks: each field replaces what a development leaf has.
 *
 * @internal
 */
export interface LeafVariant {
  /** basicConstraints cA=true. */
  ca?: boolean;
  /** The EKUs (null: no extension). */
  ekus?: string[] | null;
  /** Mark the EKU extension critical (RFC 3161 wants it so for time-stamping). */
  ekuCritical?: boolean;
  /** KeyUsage bits (null: no extension). */
  keyUsage?: number[] | null;
  /** Leave out the authority key identifier. */
  noAuthorityKeyId?: boolean;
  /** Sign the leaf with its own key, with its own name as issuer. */
  selfSigned?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

/** @internal Development certificates with a leaf variant (tests only). */
export function buildDevCertificates(options: DevCertificateOptions, variant: LeafVariant): DevCertificates {
  const algorithm = options.algorithm ?? 'es256';
  if (!CERTIFICATE_ALGORITHMS.includes(algorithm)) throw new RangeError(`"algorithm" expected one of ${CERTIFICATE_ALGORITHMS.join(', ')}, got ${String(algorithm)}`);
  const validDays = options.validDays ?? 365;
  if (!Number.isInteger(validDays) || validDays < 1 || validDays > 36500) throw new RangeError(`"validDays" expected an integer in 1..36500, got ${validDays}`);
  const now = options.now ?? new Date();
  // A little slack backwards, so a reader whose clock is slightly behind still accepts the certificate.
  const caNotBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60 * 60 * 1000);
  const notBefore = variant.notBefore ?? caNotBefore;
  const notAfter = variant.notAfter ?? new Date(notBefore.getTime() + validDays * 86_400_000);
  const caNotAfter = new Date(caNotBefore.getTime() + 3650 * 86_400_000);

  const ca = generateKey(algorithm);
  const leaf = generateKey(algorithm);
  const caSpki = new Uint8Array(ca.publicKey.export({ type: 'spki', format: 'der' }));
  const leafSpki = new Uint8Array(leaf.publicKey.export({ type: 'spki', format: 'der' }));
  const caKeyId = keyIdentifier(caSpki);
  const leafKeyId = keyIdentifier(leafSpki);

  const caName = name([
    [OID.organization, 'provenant development (NOT FOR PRODUCTION)'],
    [OID.commonName, 'provenant development CA - not for production'],
  ]);
  const leafName = name([
    [OID.organization, options.organization ?? 'provenant development'],
    [OID.organizationalUnit, 'NOT FOR PRODUCTION'],
    [OID.commonName, options.commonName ?? 'provenant development signer'],
  ]);

  const caDer = certificate(algorithm, ca.privateKey, caName, caName, caSpki, caNotBefore, caNotAfter, [
    extension(OID.basicConstraints, true, sequence(booleanTrue(), smallInteger(0))),
    extension(OID.keyUsage, true, namedBits([KU.keyCertSign, KU.cRLSign])),
    extension(OID.subjectKeyIdentifier, false, octetString(caKeyId)),
  ]);
  const ekus = variant.ekus === undefined ? [C2PA_SIGNING_EKUS.emailProtection, C2PA_SIGNING_EKUS.documentSigning, C2PA_SIGNING_EKUS.c2paSigning] : variant.ekus;
  const keyUsage = variant.keyUsage === undefined ? [KU.digitalSignature] : variant.keyUsage;
  const leafExtensions = [
    extension(OID.basicConstraints, true, variant.ca ? sequence(booleanTrue()) : sequence()),
    ...(keyUsage ? [extension(OID.keyUsage, true, namedBits(keyUsage))] : []),
    ...(ekus ? [extension(OID.extKeyUsage, variant.ekuCritical ?? false, sequence(...ekus.map((e) => oid(e))))] : []),
    extension(OID.subjectKeyIdentifier, false, octetString(leafKeyId)),
    ...(variant.noAuthorityKeyId
      ? []
      : [extension(OID.authorityKeyIdentifier, false, sequence(new Uint8Array([0x80, 20, ...(variant.selfSigned ? leafKeyId : caKeyId)])))]),
  ];
  const leafDer = variant.selfSigned
    ? certificate(algorithm, leaf.privateKey, leafName, leafName, leafSpki, notBefore, notAfter, leafExtensions)
    : certificate(algorithm, ca.privateKey, caName, leafName, leafSpki, notBefore, notAfter, leafExtensions);
  return {
    caPem: pem('CERTIFICATE', caDer),
    chainPem: pem('CERTIFICATE', leafDer),
    keyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    algorithm,
    notBefore,
    notAfter,
  };
}

/** The fields of a certificate the C2PA profile looks at. */
interface Profile {
  version: number;
  ca: boolean;
  keyUsage: Set<number> | undefined;
  extendedKeyUsage: string[] | undefined;
  authorityKeyId: boolean;
  subjectKeyId: Uint8Array | undefined;
  authorityKeyIdBytes: Uint8Array | undefined;
}

function profileOf(raw: Uint8Array): Profile {
  const [tbs] = children(readTlv(raw).content);
  const fields = children(tbs!.content);
  const profile: Profile = {
    version: 1,
    ca: false,
    keyUsage: undefined,
    extendedKeyUsage: undefined,
    authorityKeyId: false,
    subjectKeyId: undefined,
    authorityKeyIdBytes: undefined,
  };
  for (const field of fields) {
    if (field.tag === 0xa0) profile.version = (readTlv(field.content).content[0] ?? 0) + 1;
    if (field.tag !== 0xa3) continue;
    for (const ext of children(readTlv(field.content).content)) {
      const parts = children(ext.content);
      const type = oidText(parts[0]!.content);
      const value = parts[parts.length - 1]!.content;
      if (type === OID.basicConstraints) {
        const inner = children(readTlv(value).content);
        profile.ca = inner[0]?.tag === 0x01 && inner[0].content[0] !== 0;
      } else if (type === OID.keyUsage) {
        const bits = readTlv(value).content;
        const set = new Set<number>();
        for (let i = 1; i < bits.length; i++) for (let b = 0; b < 8; b++) if (bits[i]! & (0x80 >> b)) set.add((i - 1) * 8 + b);
        profile.keyUsage = set;
      } else if (type === OID.extKeyUsage) {
        profile.extendedKeyUsage = children(readTlv(value).content).map((n) => oidText(n.content));
      } else if (type === OID.subjectKeyIdentifier) {
        profile.subjectKeyId = readTlv(value).content;
      } else if (type === OID.authorityKeyIdentifier) {
        profile.authorityKeyId = true;
        const keyId = children(readTlv(value).content).find((n) => n.tag === 0x80);
        profile.authorityKeyIdBytes = keyId?.content;
      }
    }
  }
  return profile;
}

function profileError(message: string, cause?: unknown): InputError {
  return new InputError('ERR_CERT_PROFILE', message, cause === undefined ? undefined : { cause });
}

/**
 * Split PEM text into certificates (anything between the armour lines that
 * is not a certificate is ignored; explanatory text is allowed).
 *
 * @param pemText one or more PEM certificates
 * @returns the certificates, in file order
 * @throws InputError `ERR_MALFORMED` when there is no certificate or one cannot be parsed
 * @example
 * ```ts
 * const [leaf] = parseCertificates(await readFile('chain.pem', 'utf8'));
 * ```
 */
export function parseCertificates(pemText: string | Uint8Array): X509Certificate[] {
  const text = typeof pemText === 'string' ? pemText : new TextDecoder().decode(pemText);
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new InputError('ERR_MALFORMED', 'no PEM certificate found (expected "-----BEGIN CERTIFICATE-----")');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new InputError('ERR_MALFORMED', `certificate ${i + 1} cannot be parsed: ${(err as Error).message}`, { cause: err });
    }
  });
}

function describe(cert: X509Certificate): string {
  const cn = /CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? `"${cn}"` : `serial ${cert.serialNumber}`;
}

function selfSigned(cert: X509Certificate): boolean {
  // Not checkIssued: OpenSSL's issuer check also wants keyCertSign, which a self-signed leaf lacks.
  return cert.subject === cert.issuer && cert.verify(cert.publicKey);
}

/** What is wrong with a signing chain, if anything: expired (or not yet valid), or another profile rule. */
export interface ChainAssessment {
  /** The certificates to embed (leaf first, without a self-signed root). */
  certs: X509Certificate[];
  problem?: { kind: 'validity' | 'profile'; message: string };
}

/**
 * Assess a chain against the C2PA signing-certificate profile without
 * throwing (readers turn the problem into a validation code).
 *
 * @internal
 */
export function assessSigningChain(chain: readonly X509Certificate[], now: Date = new Date()): ChainAssessment {
  const certs = [...chain];
  while (certs.length > 1 && selfSigned(certs[certs.length - 1]!)) certs.pop();
  const leaf = certs[0];
  const fail = (message: string, kind: 'validity' | 'profile' = 'profile'): ChainAssessment => ({ certs, problem: { kind, message } });
  if (leaf === undefined) return fail('the certificate chain is empty');
  let profile: Profile;
  try {
    profile = profileOf(new Uint8Array(leaf.raw));
  } catch (err) {
    return fail(`the signing certificate ${describe(leaf)} cannot be read: ${(err as Error).message}`);
  }
  const who = `the signing certificate ${describe(leaf)}`;
  if (profile.version !== 3) return fail(`${who} is X.509 version ${profile.version}; C2PA requires version 3`);
  if (leaf.ca || profile.ca) return fail(`${who} is a CA certificate (basicConstraints cA=true); C2PA requires an end-entity signing certificate`);
  if (selfSigned(leaf)) {
    return fail(`${who} is self-signed; C2PA requires a certificate issued by a CA (try \`provenant cert dev\`)`);
  }
  if (!profile.authorityKeyId) return fail(`${who} has no authority key identifier extension`);
  if (!profile.keyUsage?.has(KU.digitalSignature)) return fail(`${who} lacks key usage digitalSignature`);
  const ekus = profile.extendedKeyUsage;
  const accepted = Object.values(C2PA_SIGNING_EKUS) as string[];
  if (ekus === undefined || ekus.length === 0) return fail(`${who} has no extended key usage; C2PA requires one of ${accepted.join(', ')}`);
  if (ekus.includes(OID.anyExtendedKeyUsage)) return fail(`${who} has anyExtendedKeyUsage, which C2PA forbids`);
  if (!ekus.some((e) => accepted.includes(e))) return fail(`${who} has extended key usages ${ekus.join(', ')}; C2PA requires one of ${accepted.join(', ')}`);
  for (let i = 0; i + 1 < certs.length; i++) {
    const child = certs[i]!;
    const parent = certs[i + 1]!;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      return fail(`certificate ${i + 1} (${describe(child)}) is not issued by certificate ${i + 2} (${describe(parent)}) of the chain; give the chain leaf first`);
    }
  }
  const from = new Date(leaf.validFrom);
  const to = new Date(leaf.validTo);
  if (now < from) return fail(`${who} is not valid before ${from.toISOString()}`, 'validity');
  if (now > to) return fail(`${who} expired at ${to.toISOString()}`, 'validity');
  return { certs };
}

/**
 * Check a signing chain against the C2PA signing-certificate profile: the
 * leaf is an X.509 v3 certificate that is not a CA and not self-signed, with
 * an authority key identifier, key usage digitalSignature, and an extended
 * key usage that C2PA accepts (never anyExtendedKeyUsage); it is valid at
 * `now`; each certificate is issued and signed by the next. A self-signed
 * root at the end is dropped (C2PA leaves it out of the signature).
 *
 * @param chain the chain, leaf first
 * @param now the signing time (default now)
 * @returns the certificates to embed (leaf first, without a self-signed root)
 * @throws InputError `ERR_CERT_PROFILE` naming the first rule broken
 * @example
 * ```ts
 * const embedded = checkSigningChain(parseCertificates(chainPem));
 * ```
 */
export function checkSigningChain(chain: readonly X509Certificate[], now: Date = new Date()): X509Certificate[] {
  const { certs, problem } = assessSigningChain(chain, now);
  if (problem) throw profileError(problem.message);
  return certs;
}

/**
 * Whether the last certificate of `chain` is, or is issued by, one of `anchors`.
 *
 * @internal
 */
export function chainsToAnchor(chain: readonly X509Certificate[], anchors: readonly X509Certificate[]): boolean {
  const top = chain[chain.length - 1];
  if (!top) return false;
  return anchors.some((anchor) => anchor.fingerprint256 === top.fingerprint256 || (top.checkIssued(anchor) && top.verify(anchor.publicKey)));
}

/**
 * Whether `publicKey` is the key of `certificate`.
 *
 * @internal
 */
export function certifiesKey(certificate: X509Certificate, publicKey: KeyObject): boolean {
  const a = certificate.publicKey.export({ type: 'spki', format: 'der' });
  const b = (publicKey.type === 'public' ? publicKey : createPublicKey(publicKey)).export({ type: 'spki', format: 'der' });
  return a.equals(b);
}
