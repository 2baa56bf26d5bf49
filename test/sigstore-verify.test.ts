/**
 * provenant/sigstore verification, offline, on other projects' vectors read
 * in place: sigstore-js's public-good bundles and verify fixtures, the
 * local-key bundles, model-transparency's P-384 OMS bundles, the OMS
 * `v1.*-sigstore` models (library and CLI), and hostile or broken input,
 * each failure asserted by its stable code.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { toSignedEntity, Verifier } from '@sigstore/verify';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { importPublicKey, ProvenantError } from 'provenant';
import {
  parseTrustedRoot,
  publicGoodTrustedRoot,
  sigstoreIdentityVerifier,
  verifyModelWithSigstore,
  verifySigstoreBundle,
  type VerifySigstoreBundleOptions,
} from '../bindings/sigstore/index.js';
import { parseBundle } from '../bindings/sigstore/bundle.js';
import { trustMaterialOf } from '../bindings/sigstore/trusted-root.js';
import { cleanupTemp, CLI, expectCode, HAVE_DIST, HAVE_VECTORS, makeTemp, OMS, runCli, VECTORS } from './helpers.js';

afterAll(cleanupTemp);

const ATTESTATION = join(VECTORS, 'attestation');
const SJS = join(ATTESTATION, 'sigstore-js');
const FIXTURES = join(SJS, 'verify-fixtures');
const LOCAL = join(ATTESTATION, 'local-key-bundles');
const MT = join(ATTESTATION, 'model-transparency');
const OFFLINE = { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 } as const;

const IBM = { san: 'stefanb@us.ibm.com', issuer: 'https://sigstore.verify.ibm.com/oauth2' };
const BRIAN = { san: 'brian@dehamer.com', issuer: 'https://github.com/login/oauth' };
const SIGSTORE_MODELS = ['v1.0.0', 'v1.0.1', 'v1.1.0'] as const;

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
/** A model's options: v1.0.1 predates recording ignore_paths, so ignore-me is ignored by the caller (as OMS's CLI does). */
const modelDir = (v: string) => join(OMS, `${v}-sigstore`);
const ignoreFor = (v: string) => (v === 'v1.0.1' ? [join(modelDir(v), 'ignore-me')] : []);

describe.skipIf(!HAVE_VECTORS)('sigstore-js public-good bundles verify offline (needs ../shared/vectors)', () => {
  for (const name of ['bundleV01-dsse-no-proof', 'bundleV03-dsse', 'bundleV03-intoto']) {
    it(`${name} is valid against the shipped public-good root`, async () => {
      const verified = await verifySigstoreBundle(readFileSync(join(SJS, `${name}.sigstore`)), { identities: [BRIAN] });
      expect(verified.identity).toEqual(BRIAN);
      expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(json(join(SJS, 'statement.json')));
      expect(verified.payloadType).toBe('application/vnd.in-toto+json');
      expect(verified.timestamps.map((t) => t.source)).toEqual(['transparency-log']);
      expect(verified.tlogEntries).toHaveLength(1);
    });
  }

  it('a certificate for another identity or issuer is refused', async () => {
    const bundle = readFileSync(join(SJS, 'bundleV03-dsse.sigstore'));
    await expectCode(verifySigstoreBundle(bundle, { identities: [{ ...BRIAN, san: 'mallory@dehamer.com' }] }), 'ERR_IDENTITY_MISMATCH');
    await expectCode(verifySigstoreBundle(bundle, { identities: [{ ...BRIAN, issuer: 'https://accounts.google.com' }] }), 'ERR_IDENTITY_MISMATCH');
    // A pattern is anchored: it must match the whole SAN.
    await expectCode(verifySigstoreBundle(bundle, { identities: [{ sanPattern: 'brian', issuer: BRIAN.issuer }] }), 'ERR_IDENTITY_MISMATCH');
    await expectCode(verifySigstoreBundle(bundle, { identities: [{ sanPattern: /dehamer\.com/, issuer: BRIAN.issuer }] }), 'ERR_IDENTITY_MISMATCH');
    const ok = await verifySigstoreBundle(bundle, { identities: [{ san: 'x@y', issuer: 'z' }, { sanPattern: '[a-z]+@dehamer\\.com', issuer: BRIAN.issuer }] });
    expect(ok.matchedPolicy).toEqual({ sanPattern: '[a-z]+@dehamer\\.com', issuer: BRIAN.issuer });
  });
});

describe.skipIf(!HAVE_VECTORS)('sigstore-js verify fixtures (needs ../shared/vectors)', () => {
  const fixtureRoot = () => parseTrustedRoot(readFileSync(join(FIXTURES, 'trusted_root.fixture.json')), { allowMissingValidityStart: true });
  const artifact = () => readFileSync(join(FIXTURES, 'artifact.txt'));
  const bundles = HAVE_VECTORS ? readdirSync(FIXTURES).filter((n) => n.endsWith('.bundle.json')) : [];
  async function options(name: string): Promise<VerifySigstoreBundleOptions> {
    const text = readFileSync(join(FIXTURES, name), 'utf8');
    return {
      trustedRoot: fixtureRoot(),
      ...(text.includes('"messageSignature"') ? { artifact: artifact() } : {}),
      ...(text.includes('"publicKey"') ? { keys: [await importPublicKey(readFileSync(join(FIXTURES, 'public_key.pem')))] } : { identities: [BRIAN] }),
    };
  }

  it('the fixture root omits validFor.start, so it is refused unless the caller opts in', () => {
    expect(artifact().toString()).toBe('hello, world!');
    let code: string | undefined;
    try {
      parseTrustedRoot(readFileSync(join(FIXTURES, 'trusted_root.fixture.json')));
    } catch (err) {
      code = (err as ProvenantError).code;
      expect((err as Error).message).toContain('certificateAuthorities[0].validFor.start: required');
    }
    expect(code).toBe('ERR_TRUSTED_ROOT_INVALID');
  });

  for (const name of bundles) {
    if (name === 'V3.MESSAGE_SIGNATURE.WITH_SIGNING_CERT.bundle.json') {
      it(`${name}: a TSA timestamp but no tlog entry: fails with the defaults, valid with tlogThreshold 0`, async () => {
        await expectCode(verifySigstoreBundle(readFileSync(join(FIXTURES, name)), await options(name)), 'ERR_TLOG_MISSING');
        const ok = await verifySigstoreBundle(readFileSync(join(FIXTURES, name)), { ...(await options(name)), tlogThreshold: 0 });
        expect(ok.timestamps.map((t) => t.source)).toEqual(['timestamp-authority']);
      });
    } else {
      it(`${name}: valid with the defaults`, async () => {
        const verified = await verifySigstoreBundle(readFileSync(join(FIXTURES, name)), await options(name));
        if (name.includes('WITH_PUBLIC_KEY')) expect(verified.keyId).toBeDefined();
        else expect(verified.identity).toEqual(BRIAN);
      });
    }
  }

  it('a message signature needs its artifact, and the right one', async () => {
    const name = 'V1.MESSAGE_SIGNATURE.WITH_SIGNING_CERT.bundle.json';
    const bundle = readFileSync(join(FIXTURES, name));
    const { artifact: _artifact, ...rest } = await options(name);
    await expectCode(verifySigstoreBundle(bundle, rest), 'ERR_USAGE');
    await expectCode(verifySigstoreBundle(bundle, { ...rest, artifact: new TextEncoder().encode('hello, world?') }), 'ERR_DIGEST_MISMATCH');
  });
});

describe.skipIf(!HAVE_VECTORS)('local-key bundles (needs ../shared/vectors)', () => {
  const key = (alg: string) => importPublicKey(readFileSync(join(LOCAL, `${alg}-pub.pem`)));
  const artifactFor = (name: string) => (name.endsWith('-msg') ? { artifact: readFileSync(join(LOCAL, `${name.split('-')[0]}-artifact.txt`)) } : {});

  for (const name of ['ec-dsse', 'ec-msg', 'ed25519-dsse', 'ed25519-msg']) {
    it(`${name} is valid with its key and thresholds 0; with the defaults it has no timestamp`, async () => {
      const bundle = readFileSync(join(LOCAL, `${name}.sigstore.json`));
      const options = { keys: [await key(name.split('-')[0]!)], ...artifactFor(name) };
      const verified = await verifySigstoreBundle(bundle, { ...options, ...OFFLINE });
      expect(verified.keyId).toBe(options.keys[0]!.keyId);
      expect(verified.timestamps).toEqual([]);
      await expectCode(verifySigstoreBundle(bundle, options), 'ERR_TIMESTAMP_MISSING');
    });
  }

  it('ed25519-msg: pure Ed25519 over the artifact (3.1.1 passes "sha256" to Node and fails)', async () => {
    const parsed = parseBundle(readFileSync(join(LOCAL, 'ed25519-msg.sigstore.json')));
    const entity = toSignedEntity(parsed.message, readFileSync(join(LOCAL, 'ed25519-artifact.txt')));
    const k = await key('ed25519');
    const library = new Verifier({ ...trustMaterialOf(publicGoodTrustedRoot()), publicKey: () => ({ publicKey: k.keyObject, validFor: () => true }) }, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    expect(() => library.verify(entity)).toThrow();
  });

  it('another key, or several keys none of which the hint names, is refused', async () => {
    const bundle = readFileSync(join(LOCAL, 'ec-dsse.sigstore.json'));
    await expectCode(verifySigstoreBundle(bundle, { keys: [await key('ed25519')], ...OFFLINE }), 'ERR_SIGNATURE_INVALID');
    await expectCode(verifySigstoreBundle(bundle, { keys: [await key('ed25519'), await importPublicKey(readFileSync(join(MT, 'signing-key-pub.pem')))], ...OFFLINE }), 'ERR_KEY_MISMATCH');
    await expectCode(verifySigstoreBundle(bundle, { identities: [BRIAN], ...OFFLINE }), 'ERR_KEY_MISMATCH');
  });

  it('a message digest that is not the artifact\'s is refused even with no tlog entry (3.1.1 never compares it)', async () => {
    const bundle = json(join(LOCAL, 'ec-msg.sigstore.json'));
    bundle.messageSignature.messageDigest.digest = Buffer.alloc(32, 7).toString('base64');
    const artifact = readFileSync(join(LOCAL, 'ec-artifact.txt'));
    const k = await key('ec');
    await expectCode(verifySigstoreBundle(bundle, { keys: [k], artifact, ...OFFLINE }), 'ERR_DIGEST_MISMATCH');
    // The library alone: the signature is over the artifact, so the forged digest goes unnoticed.
    const entity = toSignedEntity(parseBundle(bundle).message, artifact);
    const library = new Verifier({ ...trustMaterialOf(publicGoodTrustedRoot()), publicKey: () => ({ publicKey: k.keyObject, validFor: () => true }) }, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    expect(() => library.verify(entity)).not.toThrow();
  });

  it('a DSSE envelope with a second signature is refused, whatever the first (3.1.1 reads only signatures[0])', async () => {
    const bundle = json(join(LOCAL, 'ec-dsse.sigstore.json'));
    bundle.dsseEnvelope.signatures.push({ sig: Buffer.alloc(64, 1).toString('base64'), keyid: '' });
    const err = await expectCode(verifySigstoreBundle(bundle, { keys: [await key('ec')], ...OFFLINE }), 'ERR_MALFORMED');
    expect(err.message).toContain('exactly one DSSE signature (got 2)');
  });
});

describe.skipIf(!HAVE_VECTORS)('model-transparency P-384 OMS bundles (needs ../shared/vectors)', () => {
  for (const v of ['v1.0.0', 'v1.0.1', 'v1.1.0']) {
    it(`${v}-elliptic-key: ECDSA P-384 with SHA-384 over the PAE verifies, and so does the model`, async () => {
      const key = await importPublicKey(readFileSync(join(MT, 'signing-key-pub.pem')));
      const dir = join(MT, `${v}-elliptic-key`);
      const bundle = readFileSync(join(dir, 'model.sig'));
      const verified = await verifySigstoreBundle(bundle, { keys: [key], payloadType: 'application/vnd.in-toto+json', ...OFFLINE });
      expect(verified.keyId).toBe(key.keyId);
      const single = v === 'v1.0.0';
      const model = await verifyModelWithSigstore(single ? join(dir, 'signme-1') : dir, {
        keys: [key],
        ...OFFLINE,
        ...(single ? { signature: join(dir, 'model.sig') } : {}),
        ignorePaths: v === 'v1.0.1' ? [join(dir, 'ignore-me')] : [],
      });
      expect(model.statement.resources.length).toBeGreaterThan(0);
      // @sigstore/verify 3.1.1 alone hashes every EC DSSE key with SHA-256.
      const entity = toSignedEntity(parseBundle(bundle).message);
      const library = new Verifier({ ...trustMaterialOf(publicGoodTrustedRoot()), publicKey: () => ({ publicKey: key.keyObject, validFor: () => true }) }, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
      expect(() => library.verify(entity)).toThrow(/signature verification failed/);
    });
  }
});

describe.skipIf(!HAVE_VECTORS)('OMS v1.*-sigstore models verify offline with the public-good root (needs ../shared/vectors)', () => {
  for (const v of SIGSTORE_MODELS) {
    it(`${v}-sigstore: valid for ${IBM.san}, from ${IBM.issuer}; any other identity fails`, async () => {
      const verified = await verifyModelWithSigstore(modelDir(v), { identities: [IBM], ignorePaths: ignoreFor(v) });
      expect(verified.sigstore.identity).toEqual(IBM);
      expect(verified.statement.modelName).toBe(`${v}-sigstore`);
      expect(verified.statement.resources.map((r) => r.name)).toEqual(['signme-1', 'signme-2']);
      // The certificate expired minutes after signing; the tlog time (and TSA time, v1.1.0) is what it is checked at.
      expect(verified.sigstore.timestamps.length).toBeGreaterThan(0);
      for (const other of [{ ...IBM, san: 'stefanb@us.ibm.co' }, { ...IBM, san: 'someone@us.ibm.com' }, { ...IBM, issuer: 'https://accounts.google.com' }]) {
        await expectCode(verifyModelWithSigstore(modelDir(v), { identities: [other], ignorePaths: ignoreFor(v) }), 'ERR_IDENTITY_MISMATCH');
      }
    });
  }

  it('v1.0.1 without ignoring ignore-me reports it as an extra file', async () => {
    const err = await expectCode(verifyModelWithSigstore(modelDir('v1.0.1'), { identities: [IBM] }), 'ERR_MODEL_MISMATCH');
    expect(err.details).toEqual(['extra: ignore-me']);
  });

  it('a changed file fails with every difference named', async () => {
    const dir = join(await makeTemp(), 'model');
    await cp(modelDir('v1.1.0'), dir, { recursive: true });
    await writeFile(join(dir, 'signme-2'), 'tampered\n');
    const err = await expectCode(verifyModelWithSigstore(dir, { identities: [IBM] }), 'ERR_MODEL_MISMATCH');
    expect(err.details).toEqual(['different: signme-2']);
  });

  it('the identity verifier reports who signed and when', async () => {
    const verifier = sigstoreIdentityVerifier({ trustedRoot: publicGoodTrustedRoot(), identities: [{ sanPattern: '.+@us\\.ibm\\.com', issuer: IBM.issuer }] });
    const bundle = await readFile(join(modelDir('v1.1.0'), 'model.sig'));
    const result = await verifier.verify(bundle, { payloadType: 'application/vnd.in-toto+json' });
    expect(result.identity).toEqual(IBM);
    expect(result.policy).toEqual(verifier.identities[0]);
    expect(result.signedAt.getTime()).toBe(Math.min(...result.timestamps.map((t) => t.time.getTime())));
    await verifier.verify(bundle, { payload: result.payload });
    await expectCode(verifier.verify(bundle, { payload: new TextEncoder().encode('{}') }), 'ERR_DIGEST_MISMATCH');
    await expectCode(verifier.verify(readFileSync(join(LOCAL, 'ec-dsse.sigstore.json'))), 'ERR_KEY_MISMATCH');
    await expectCode(verifier.verify(readFileSync(join(ATTESTATION, 'sigstore-conformance/happy-path-v0.3/bundle.sigstore.json'))), 'ERR_PAYLOAD_TYPE');
    const others = sigstoreIdentityVerifier({ identities: [{ san: 'x@example.com', issuer: IBM.issuer }] });
    await expectCode(others.verify(bundle), 'ERR_IDENTITY_MISMATCH');
    expect(() => sigstoreIdentityVerifier({ identities: [] })).toThrow(TypeError);
    expect(() => sigstoreIdentityVerifier({ identities: [{ san: 'a', sanPattern: 'b', issuer: 'c' }] })).toThrow(TypeError);
    expect(() => sigstoreIdentityVerifier({ identities: [{ sanPattern: '(', issuer: 'c' }] })).toThrow(TypeError);
  });
});

describe.skipIf(!HAVE_VECTORS)('bad input is refused with a stable code, never "verified" (needs ../shared/vectors)', () => {
  const omsBundle = () => json(join(modelDir('v1.1.0'), 'model.sig'));
  const verifyOms = (bundle: object, options: Partial<VerifySigstoreBundleOptions> = {}) =>
    verifySigstoreBundle(bundle, { identities: [IBM], ...options });

  it('an unknown media type (or bundle version)', async () => {
    for (const mediaType of ['application/vnd.dev.sigstore.bundle+json;version=0.4', 'application/json', undefined]) {
      await expectCode(verifyOms({ ...omsBundle(), mediaType }), 'ERR_UNKNOWN_MEDIA_TYPE');
    }
  });

  it('a malformed bundle, every bad field named', async () => {
    const bundle = omsBundle();
    bundle.verificationMaterial.tlogEntries[0].logIndex = 'seven';
    bundle.verificationMaterial.tlogEntries[0].canonicalizedBody = 'not base64!';
    bundle.dsseEnvelope.payloadType = 7;
    const err = await expectCode(verifyOms(bundle), 'ERR_MALFORMED');
    expect(err.message).toContain('verificationMaterial.tlogEntries[0].logIndex');
    expect(err.message).toContain('verificationMaterial.tlogEntries[0].canonicalizedBody');
    expect(err.message).toContain('dsseEnvelope.payloadType');
    const v03 = omsBundle();
    v03.verificationMaterial.x509CertificateChain = { certificates: [v03.verificationMaterial.certificate] };
    delete v03.verificationMaterial.certificate;
    await expectCode(verifyOms(v03), 'ERR_MALFORMED');
  });

  it('an expected payloadType that differs', async () => {
    await expectCode(verifyOms(omsBundle(), { payloadType: 'application/vnd.provenant+json' }), 'ERR_PAYLOAD_TYPE');
  });

  it('a DSSE statement whose subject is not the artifact', async () => {
    const case_ = join(ATTESTATION, 'sigstore-conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json');
    const identities = [{ san: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' }];
    await verifySigstoreBundle(readFileSync(case_), { identities, artifact: readFileSync(join(ATTESTATION, 'sigstore-conformance/a.txt')) });
    await expectCode(verifySigstoreBundle(readFileSync(case_), { identities, artifact: new TextEncoder().encode('b') }), 'ERR_DIGEST_MISMATCH');
  });

  it('an inclusion proof that does not reach the checkpoint', async () => {
    const hashes = omsBundle();
    const proof = hashes.verificationMaterial.tlogEntries[0].inclusionProof;
    proof.hashes[0] = Buffer.alloc(32, 9).toString('base64');
    await expectCode(verifyOms(hashes), 'ERR_TLOG_PROOF_INVALID');
    const root = omsBundle();
    root.verificationMaterial.tlogEntries[0].inclusionProof.rootHash = Buffer.alloc(32, 9).toString('base64');
    const err = await expectCode(verifyOms(root), 'ERR_TLOG_PROOF_INVALID');
    expect(err.message).toContain('but the checkpoint signs');
    const size = omsBundle();
    const p = size.verificationMaterial.tlogEntries[0].inclusionProof;
    p.treeSize = String(BigInt(p.treeSize) + 1n);
    await expectCode(verifyOms(size), 'ERR_TLOG_PROOF_INVALID');
    const note = omsBundle();
    const np = note.verificationMaterial.tlogEntries[0].inclusionProof;
    np.checkpoint.envelope = np.checkpoint.envelope.replace(/\n— (\S+) (\S+)\n/, (_m: string, name: string, sig: string) => `\n— ${name} ${sig.slice(0, 10)}AAAA${sig.slice(14)}\n`);
    await expectCode(verifyOms(note), 'ERR_TLOG_PROOF_INVALID');
  });

  it('a tlog entry for another signature, a forged signed entry timestamp, a timestamp over another signature', async () => {
    // v1.0.0 has no TSA timestamp, so the tlog entry is what catches a swapped signature.
    const v100 = () => json(join(modelDir('v1.0.0'), 'model.sig'));
    const other = v100();
    other.dsseEnvelope.signatures[0].sig = omsBundle().dsseEnvelope.signatures[0].sig;
    await expectCode(verifyOms(other), 'ERR_TLOG_INVALID');
    const set = v100();
    set.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp = omsBundle().verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp;
    await expectCode(verifyOms(set), 'ERR_TLOG_INVALID');
    // v1.1.0's RFC 3161 timestamp countersigns its signature: with another signature it no longer verifies.
    const stamped = omsBundle();
    stamped.dsseEnvelope.signatures[0].sig = v100().dsseEnvelope.signatures[0].sig;
    await expectCode(verifyOms(stamped), 'ERR_TIMESTAMP_INVALID');
  });

  it('no tlog entry, or no signed time at all, when the defaults require them', async () => {
    // v1.1.0 has a TSA timestamp as well as its tlog entry: without the entry, the time is there, the log is not.
    const noLog = omsBundle();
    noLog.verificationMaterial.tlogEntries = [];
    await expectCode(verifyOms(noLog), 'ERR_TLOG_MISSING');
    // v1.0.0's only signed time is its tlog entry: without it the certificate cannot be checked at any time.
    const noTime = json(join(modelDir('v1.0.0'), 'model.sig'));
    noTime.verificationMaterial.tlogEntries = [];
    await expectCode(verifyOms(noTime, { tlogThreshold: 0, timestampThreshold: 0 }), 'ERR_TIMESTAMP_MISSING');
  });

  it('an expired certificate without a signed time inside its validity', async () => {
    // The conformance case: certificate valid in 2030, logged in 2023.
    const c = join(ATTESTATION, 'sigstore-conformance/intoto-expired-certificate_fail');
    const err = await expectCode(
      verifySigstoreBundle(readFileSync(join(c, 'bundle.sigstore.json')), {
        trustedRoot: parseTrustedRoot(readFileSync(join(c, 'trusted_root.json'))),
        identities: [{ sanPattern: '.*', issuer: 'https://token.actions.githubusercontent.com' }],
      }),
      'ERR_CERTIFICATE_EXPIRED',
    );
    expect(err.message).toContain('2023-02-01T00:00:00.000Z');
  });

  it('a malformed trusted root, every bad field named', () => {
    const good = json(join(SJS, 'trusted_root.public-good.json'));
    const cases: [string, (r: Record<string, any>) => void, string[]][] = [
      ['media type', (r) => (r.mediaType = 'application/json'), ['mediaType']],
      ['missing start', (r) => delete r.tlogs[0].publicKey.validFor.start, ['tlogs[0].publicKey.validFor.start']],
      ['no validFor', (r) => delete r.certificateAuthorities[1].validFor, ['certificateAuthorities[1].validFor.start']],
      ['end before start', (r) => (r.ctlogs[1].publicKey.validFor.end = '2000-01-01T00:00:00Z'), ['ctlogs[1].publicKey.validFor.end']],
      ['bad key', (r) => (r.tlogs[1].publicKey.rawBytes = Buffer.from('not a key').toString('base64')), ['tlogs[1].publicKey.rawBytes']],
      ['bad certificate', (r) => (r.timestampAuthorities[0].certChain.certificates[0].rawBytes = 'AAAA'), ['timestampAuthorities[0].certChain.certificates[0].rawBytes']],
      ['unknown key type', (r) => (r.ctlogs[0].publicKey.keyDetails = 'PKIX_MAGIC'), ['ctlogs[0].publicKey.keyDetails']],
      [
        'several at once',
        (r) => {
          r.tlogs[0].logId = {};
          r.certificateAuthorities[0].certChain.certificates = [];
        },
        ['tlogs[0].logId.keyId', 'certificateAuthorities[0].certChain.certificates'],
      ],
    ];
    for (const [what, mutate, fields] of cases) {
      const root = structuredClone(good);
      mutate(root);
      let error: (Error & { code?: string }) | undefined;
      try {
        parseTrustedRoot(root);
      } catch (err) {
        error = err as Error & { code?: string };
      }
      expect(error?.code, what).toBe('ERR_TRUSTED_ROOT_INVALID');
      for (const field of fields) expect(error!.message, what).toContain(`${field}:`);
    }
    for (const text of ['', '{', '[]', 'null']) {
      expect(() => parseTrustedRoot(text), text).toThrow(expect.objectContaining({ code: 'ERR_TRUSTED_ROOT_INVALID' }));
    }
  });

  it('an expired trusted root: its authorities ended before the signature was made', async () => {
    const root = json(join(SJS, 'trusted_root.public-good.json'));
    for (const ca of root.certificateAuthorities) ca.validFor.end = '2024-12-31T23:59:59Z';
    const expired = parseTrustedRoot(root);
    const err = await expectCode(
      verifyModelWithSigstore(modelDir('v1.0.0'), { trustedRoot: expired, identities: [IBM] }),
      'ERR_TRUSTED_ROOT_EXPIRED',
    );
    expect(err.message).toContain('certificate authority https://fulcio.sigstore.dev (valid until 2024-12-31T23:59:59.000Z)');
    const tlogRoot = json(join(SJS, 'trusted_root.public-good.json'));
    tlogRoot.tlogs[0].publicKey.validFor.end = '2024-12-31T23:59:59Z';
    await expectCode(verifyModelWithSigstore(modelDir('v1.0.0'), { trustedRoot: parseTrustedRoot(tlogRoot), identities: [IBM] }), 'ERR_TRUSTED_ROOT_EXPIRED');
  });

  it('hostile edits of a valid bundle either change nothing or are refused with a provenant code', async () => {
    const text = readFileSync(join(modelDir('v1.1.0'), 'model.sig'), 'utf8');
    const original = await verifySigstoreBundle(text, { identities: [IBM] });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=":,{}[]. 7';
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: text.length - 1 }), fc.constantFrom(...alphabet.split('')), async (at, ch) => {
        const edited = text.slice(0, at) + ch + text.slice(at + 1);
        try {
          const verified = await verifySigstoreBundle(edited, { identities: [IBM] });
          expect(Buffer.from(verified.payload!).equals(Buffer.from(original.payload!))).toBe(true);
          expect(verified.identity).toEqual(original.identity);
        } catch (err) {
          expect(err, (err as Error).stack).toBeInstanceOf(ProvenantError);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe.skipIf(!HAVE_VECTORS || !HAVE_DIST)('provenant model verify --sigstore (needs ../shared/vectors and the build)', () => {
  const identityArgs = ['--sigstore', '--identity', IBM.san, '--issuer', IBM.issuer];
  for (const v of SIGSTORE_MODELS) {
    it(`${v}-sigstore verifies for ${IBM.san} and fails for anyone else`, async () => {
      const ignore = ignoreFor(v).flatMap((p) => ['--ignore', p]);
      const ok = await runCli(['model', 'verify', modelDir(v), ...identityArgs, ...ignore, '--json']);
      expect(ok.code, ok.stderr).toBe(0);
      const out = JSON.parse(ok.stdout);
      expect(out).toMatchObject({ verified: true, model: `${v}-sigstore`, identity: IBM, resources: 2 });
      expect(new Date(out.signedAt).getTime()).toBeLessThan(Date.parse('2026-01-01'));
      const bad = await runCli(['model', 'verify', modelDir(v), '--sigstore', '--identity', 'someone@us.ibm.com', '--issuer', IBM.issuer, ...ignore]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('ERR_IDENTITY_MISMATCH');
      expect(bad.stderr).not.toMatch(/^verified/m);
    });
  }

  it('--identity-regexp, --trusted-root, and text output', async () => {
    const dir = await makeTemp();
    await writeFile(join(dir, 'root.json'), readFileSync(join(SJS, 'trusted_root.public-good.json')));
    const r = await runCli(['model', 'verify', modelDir('v1.1.0'), '--sigstore', '--identity-regexp', 'stefanb@us\\.ibm\\.com', '--issuer', IBM.issuer, '--trusted-root', join(dir, 'root.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^verified: v1\.1\.0-sigstore \(2 resources, signed by stefanb@us\.ibm\.com \(https:\/\/sigstore\.verify\.ibm\.com\/oauth2\) at 2025-/);
  });

  it('usage errors and a bad trusted root exit 2', async () => {
    const dir = await makeTemp();
    await writeFile(join(dir, 'bad-root.json'), '{"mediaType": "application/json"}');
    const runs = [
      ['model', 'verify', modelDir('v1.1.0'), '--sigstore', '--issuer', IBM.issuer],
      ['model', 'verify', modelDir('v1.1.0'), '--sigstore', '--identity', IBM.san],
      ['model', 'verify', modelDir('v1.1.0'), '--sigstore', '--identity', IBM.san, '--identity-regexp', '.*', '--issuer', IBM.issuer],
      ['model', 'verify', modelDir('v1.1.0'), '--identity', IBM.san, '--issuer', IBM.issuer],
      ['model', 'verify', modelDir('v1.1.0'), '--sigstore', '--key', join(MT, 'signing-key-pub.pem'), '--identity', IBM.san, '--issuer', IBM.issuer],
      ['model', 'verify', modelDir('v1.1.0'), '--sigstore', '--identity-regexp', '(', '--issuer', IBM.issuer],
    ];
    for (const args of runs) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('ERR_USAGE');
    }
    const root = await runCli(['model', 'verify', modelDir('v1.1.0'), ...identityArgs, '--trusted-root', join(dir, 'bad-root.json')]);
    expect(root.code).toBe(2);
    expect(root.stderr).toContain('ERR_TRUSTED_ROOT_INVALID');
    const missing = await runCli(['model', 'verify', modelDir('v1.1.0'), ...identityArgs, '--trusted-root', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ERR_NOT_FOUND');
  });

  it('a key-signed model is not accepted as a Sigstore identity', async () => {
    const r = await runCli(['model', 'verify', join(OMS, 'v1.1.0-elliptic-key'), ...identityArgs, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ verified: false, code: 'ERR_KEY_MISMATCH' });
  });
});

describe.skipIf(!HAVE_VECTORS || !HAVE_DIST || !existsSync(join(CLI, '../sigstore.js')))('the built provenant/sigstore entry points (needs ../shared/vectors and the build)', () => {
  const script = (esm: boolean) => `
    ${esm ? "import * as s from 'provenant/sigstore'; import * as p from 'provenant';" : "const s = require('provenant/sigstore'); const p = require('provenant');"}
    ${esm ? '' : '(async () => {'}
    const identities = [{ san: 'stefanb@us.ibm.com', issuer: 'https://sigstore.verify.ibm.com/oauth2' }];
    const ok = await s.verifyModelWithSigstore(${JSON.stringify(modelDir('v1.1.0'))}, { identities });
    let code, same;
    try { await s.verifyModelWithSigstore(${JSON.stringify(modelDir('v1.1.0'))}, { identities: [{ ...identities[0], san: 'x@y' }] }); }
    catch (err) { code = err.code; same = err instanceof p.VerificationError; }
    console.log(JSON.stringify({ san: ok.sigstore.identity.san, code, same }));
    ${esm ? '' : '})();'}`;

  for (const esm of [true, false]) {
    it(`${esm ? 'import' : 'require'}('provenant/sigstore') verifies, and its errors are provenant's own classes`, async () => {
      const dir = await makeTemp();
      const file = join(CLI, '..', '..', 'test', `.tmp-sigstore-${process.pid}.${esm ? 'mjs' : 'cjs'}`);
      await writeFile(file, script(esm));
      try {
        const { execFileSync } = await import('node:child_process');
        const out = execFileSync(process.execPath, [file], { encoding: 'utf8', cwd: dir });
        expect(JSON.parse(out)).toEqual({ san: 'stefanb@us.ibm.com', code: 'ERR_IDENTITY_MISMATCH', same: true });
      } finally {
        await import('node:fs/promises').then((fs) => fs.rm(file, { force: true }));
      }
    });
  }
});
