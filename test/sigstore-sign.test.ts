/**
 * Signing with provenant/sigstore. Keyless signing is tested end to end
 * against the Sigstore project's own mock Fulcio, Rekor and timestamp
 * authority (@sigstore/mock), served over HTTP on 127.0.0.1 (see
 * ./sigstore-mock.ts): @sigstore/sign's real clients make real requests,
 * and the bundles are verified offline against the mock deployment's
 * trusted root. Local-key signing needs no service at all.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestDataset, generateKeyPair, importSigner, recordId, verifyModel, type KeyAlgorithm } from 'provenant';
import {
  parseTrustedRoot,
  signModelWithSigstore,
  signWithSigstore,
  verifyModelWithSigstore,
  verifySigstoreBundle,
  type KeylessSigningOptions,
  type SigstoreTrustedRoot,
} from '../bindings/sigstore/index.js';
import { startMockSigstore, mockIdentityToken, type MockSigstore } from './sigstore-mock.js';
import { cleanupTemp, expectCode, HAVE_DIST, makeTemp, runCli } from './helpers.js';

const SIGNER = { san: 'release@example.com', issuer: 'https://issuer.example' };
const token = () => mockIdentityToken({ iss: SIGNER.issuer, sub: SIGNER.san, email: SIGNER.san });
const OFFLINE = { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 } as const;

let mock: MockSigstore;
let root: SigstoreTrustedRoot;
/** Keyless options pointing at the mock. The mock logs a proposed entry as it is, so it must already be the final form: `intoto`. */
const keyless = (extra: Partial<KeylessSigningOptions> = {}): KeylessSigningOptions => ({
  identityToken: token(),
  fulcioUrl: mock.url,
  rekorUrl: mock.url,
  rekorEntryType: 'intoto',
  tsaUrl: mock.url,
  retries: 0,
  ...extra,
});

async function makeModel(): Promise<string> {
  const dir = join(await makeTemp(), 'tiny');
  await import('node:fs/promises').then((fs) => fs.mkdir(dir));
  await writeFile(join(dir, 'weights.bin'), Buffer.alloc(4096, 3));
  await writeFile(join(dir, 'config.json'), '{"layers":2}\n');
  return dir;
}

beforeAll(async () => {
  mock = await startMockSigstore();
  root = parseTrustedRoot(mock.trustedRoot);
});
afterAll(async () => {
  await mock?.close();
  await cleanupTemp();
});

describe('keyless signing against @sigstore/mock on loopback', () => {
  it('a provenant record: Fulcio certificate, Rekor entry and RFC 3161 timestamp, verified offline', async () => {
    const dir = await makeTemp();
    await writeFile(join(dir, 'rows.jsonl'), '{"x":1}\n');
    const record = await attestDataset(dir, { name: 'rows', version: '1', signer: await importSigner(generateKeyPair('ed25519').privateKeyPem) });
    const before = mock.requests.length;
    const signed = await signWithSigstore(record, keyless());
    expect(mock.requests.slice(before)).toEqual(['/api/v2/signingCert', '/api/v1/log/entries', '/api/v1/timestamp']);
    expect(signed.identity).toEqual(SIGNER);
    expect(signed.certificate).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(signed.bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(signed.bundle.verificationMaterial.certificate).toBeDefined();

    const verified = await verifySigstoreBundle(JSON.stringify(signed.bundle), { trustedRoot: root, identities: [SIGNER] });
    expect(verified.identity).toEqual(SIGNER);
    expect(verified.timestamps.map((t) => t.source).sort()).toEqual(['timestamp-authority', 'transparency-log']);
    expect(verified.tlogEntries).toMatchObject([{ kind: 'intoto', version: '0.0.2' }]);
    // Same payload, same type: the record id is unchanged.
    expect(Buffer.from(verified.payload!).equals(Buffer.from(record.payload))).toBe(true);
    expect(verified.payloadType).toBe(record.envelope.payloadType);
    expect(recordId(verified.payload!).equals(record.id)).toBe(true);

    await expectCode(verifySigstoreBundle(signed.bundle, { trustedRoot: root, identities: [{ ...SIGNER, san: 'other@example.com' }] }), 'ERR_IDENTITY_MISMATCH');
    await expectCode(verifySigstoreBundle(signed.bundle, { trustedRoot: root, identities: [{ ...SIGNER, issuer: 'https://accounts.google.com' }] }), 'ERR_IDENTITY_MISMATCH');
    // Another deployment's root (the public-good one) does not trust the mock CA.
    await expectCode(verifySigstoreBundle(signed.bundle, { identities: [SIGNER] }), 'ERR_TIMESTAMP_INVALID');
  });

  it('a URI identity (a CI workload) matched by an anchored pattern', async () => {
    const workflow = 'https://github.com/acme/models/.github/workflows/release.yml@refs/tags/v1.2.0';
    const ci = mockIdentityToken({ iss: 'https://token.actions.githubusercontent.com', sub: workflow });
    const signed = await signWithSigstore({ payload: new TextEncoder().encode('{}'), payloadType: 'application/vnd.in-toto+json' }, keyless({ identityToken: ci, tsaUrl: undefined }));
    expect(signed.identity).toEqual({ san: workflow, issuer: 'https://token.actions.githubusercontent.com' });
    const policy = { sanPattern: 'https://github\\.com/acme/models/\\.github/workflows/release\\.yml@refs/tags/v.*', issuer: 'https://token.actions.githubusercontent.com' };
    const verified = await verifySigstoreBundle(signed.bundle, { trustedRoot: root, identities: [policy] });
    expect(verified.timestamps.map((t) => t.source)).toEqual(['transparency-log']);
    await expectCode(
      verifySigstoreBundle(signed.bundle, { trustedRoot: root, identities: [{ ...policy, sanPattern: 'https://github\\.com/acme/models/' }] }),
      'ERR_IDENTITY_MISMATCH',
    );
  });

  it('ambient credentials: SIGSTORE_ID_TOKEN, through @sigstore/sign\'s CIContextProvider', async () => {
    const saved = { ...process.env };
    delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
    delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    process.env.SIGSTORE_ID_TOKEN = token();
    try {
      const { identityToken: _none, ...options } = keyless();
      const signed = await signWithSigstore({ payload: new Uint8Array([1]), payloadType: 'text/plain' }, options);
      expect(signed.identity).toEqual(SIGNER);
      delete process.env.SIGSTORE_ID_TOKEN;
      await expectCode(signWithSigstore({ payload: new Uint8Array([1]), payloadType: 'text/plain' }, options), 'ERR_OIDC_TOKEN');
    } finally {
      process.env = saved;
    }
  });

  it('no usable token, or a service that cannot be reached, fail with stable codes', async () => {
    const record = { payload: new Uint8Array([1]), payloadType: 'text/plain' };
    await expectCode(signWithSigstore(record, keyless({ identityToken: 'not-a-jwt' })), 'ERR_OIDC_TOKEN');
    const closed = await startMockSigstore();
    await closed.close();
    await expectCode(signWithSigstore(record, keyless({ fulcioUrl: closed.url })), 'ERR_SIGSTORE_SERVICE');
    await expectCode(signWithSigstore(record, keyless({ rekorUrl: closed.url })), 'ERR_SIGSTORE_SERVICE');
    await expectCode(signWithSigstore(record, keyless({ tsaUrl: `${mock.url}/nowhere` })), 'ERR_SIGSTORE_SERVICE');
  });

  it('the mock logs a `dsse` entry as proposed (no payload hash): our verifier refuses it, as it must', async () => {
    const signed = await signWithSigstore({ payload: new TextEncoder().encode('{}'), payloadType: 'application/vnd.in-toto+json' }, keyless({ rekorEntryType: 'dsse' }));
    expect(signed.bundle.verificationMaterial.tlogEntries[0]!.kindVersion).toEqual({ kind: 'dsse', version: '0.0.1' });
    await expectCode(verifySigstoreBundle(signed.bundle, { trustedRoot: root, identities: [SIGNER] }), 'ERR_TLOG_INVALID');
  });

  it('an expired certificate: issued two hours ago, logged and timestamped now', async () => {
    const stale = await startMockSigstore({ caClock: new Date(Date.now() - 2 * 3_600_000), validFor: { start: new Date(Date.now() - 4 * 3_600_000).toISOString() } });
    try {
      const signed = await signWithSigstore({ payload: new Uint8Array([1]), payloadType: 'text/plain' }, keyless({ fulcioUrl: stale.url, rekorUrl: stale.url, tsaUrl: stale.url }));
      const err = await expectCode(verifySigstoreBundle(signed.bundle, { trustedRoot: parseTrustedRoot(stale.trustedRoot), identities: [SIGNER] }), 'ERR_CERTIFICATE_EXPIRED');
      expect(err.message).toContain("is outside the certificate's validity");
    } finally {
      await stale.close();
    }
  });

  it('an expired trusted root: its authorities ended an hour before the signature', async () => {
    const hour = 3_600_000;
    const old = await startMockSigstore({ validFor: { start: new Date(Date.now() - 3 * hour).toISOString(), end: new Date(Date.now() - hour).toISOString() } });
    try {
      const signed = await signWithSigstore({ payload: new Uint8Array([1]), payloadType: 'text/plain' }, keyless({ fulcioUrl: old.url, rekorUrl: old.url, tsaUrl: old.url }));
      await expectCode(verifySigstoreBundle(signed.bundle, { trustedRoot: parseTrustedRoot(old.trustedRoot), identities: [SIGNER] }), 'ERR_TRUSTED_ROOT_EXPIRED');
    } finally {
      await old.close();
    }
  });

  it('a model (OMS v1.0 statement): signed keyless, written atomically, verified with every file', async () => {
    const dir = await makeModel();
    const signed = await signModelWithSigstore(dir, keyless());
    expect(signed.signaturePath).toBe(join(dir, 'model.sig'));
    expect(signed.identity).toEqual(SIGNER);
    const onDisk = JSON.parse(await readFile(join(dir, 'model.sig'), 'utf8'));
    expect(onDisk).toEqual(signed.bundle);
    const verified = await verifyModelWithSigstore(dir, { trustedRoot: root, identities: [SIGNER] });
    expect(verified.statement.resources.map((r) => r.name)).toEqual(['config.json', 'weights.bin']);
    expect(verified.sigstore.identity).toEqual(SIGNER);
    await writeFile(join(dir, 'extra.txt'), 'x');
    const err = await expectCode(verifyModelWithSigstore(dir, { trustedRoot: root, identities: [SIGNER] }), 'ERR_MODEL_MISMATCH');
    expect(err.details).toEqual(['extra: extra.txt']);
  });
});

describe('local-key Sigstore bundles (no Fulcio, no Rekor)', () => {
  for (const algorithm of ['p256', 'p384', 'ed25519'] as KeyAlgorithm[]) {
    it(`${algorithm}: a publicKey.hint bundle that verifies offline with the key`, async () => {
      const signer = await importSigner(generateKeyPair(algorithm).privateKeyPem);
      const payload = new TextEncoder().encode('{"_type":"https://in-toto.io/Statement/v1"}');
      const signed = await signWithSigstore({ payload, payloadType: 'application/vnd.in-toto+json' }, { signer });
      expect(signed.identity).toBeUndefined();
      expect(signed.bundle.verificationMaterial).toEqual({ publicKey: { hint: expect.stringMatching(/^[0-9a-f]{64}$/) }, tlogEntries: [] });
      const verified = await verifySigstoreBundle(signed.bundle, { keys: [signer.publicKey], ...OFFLINE });
      expect(verified.keyId).toBe(signer.publicKey.keyId);
      await expectCode(verifySigstoreBundle(signed.bundle, { keys: [signer.publicKey] }), 'ERR_TIMESTAMP_MISSING');
      const other = await importSigner(generateKeyPair(algorithm).privateKeyPem);
      await expectCode(verifySigstoreBundle(signed.bundle, { keys: [other.publicKey], ...OFFLINE }), 'ERR_SIGNATURE_INVALID');
    });
  }

  it('with a timestamp authority, a local-key bundle meets the default timestamp threshold', async () => {
    const signer = await importSigner(generateKeyPair('p256').privateKeyPem);
    const signed = await signWithSigstore({ payload: new Uint8Array([7]), payloadType: 'text/plain' }, { signer, tsaUrl: mock.url, retries: 0 });
    const verified = await verifySigstoreBundle(signed.bundle, { keys: [signer.publicKey], trustedRoot: root, tlogThreshold: 0 });
    expect(verified.timestamps.map((t) => t.source)).toEqual(['timestamp-authority']);
  });

  it('a model signed this way is an OMS key signature the core verifies too', async () => {
    const dir = await makeModel();
    const signer = await importSigner(generateKeyPair('p384').privateKeyPem);
    await signModelWithSigstore(dir, { signer });
    const core = await verifyModel(dir, { key: signer.publicKey });
    expect(core.statement.resources).toHaveLength(2);
    const binding = await verifyModelWithSigstore(dir, { keys: [signer.publicKey], ...OFFLINE });
    expect(binding.sigstore.keyId).toBe(signer.publicKey.keyId);
  });
});

describe.skipIf(!HAVE_DIST)('provenant model sign --sigstore against @sigstore/mock on loopback (needs the build)', () => {
  it('signs keyless, then model verify --sigstore checks it offline against the mock\'s trusted root', async () => {
    const dir = await makeModel();
    const work = await makeTemp();
    const tokenFile = join(work, 'oidc-token');
    await writeFile(tokenFile, `${token()}\n`);
    const rootFile = join(work, 'trusted_root.json');
    await writeFile(rootFile, JSON.stringify(mock.trustedRoot));
    const services = ['--fulcio-url', mock.url, '--rekor-url', mock.url, '--rekor-entry-type', 'intoto', '--tsa-url', mock.url];

    const signed = await runCli(['model', 'sign', dir, '--sigstore', '--oidc-token', tokenFile, ...services, '--json']);
    expect(signed.code, signed.stderr).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ signature: join(dir, 'model.sig'), model: 'tiny', resources: 2, identity: SIGNER });

    const verified = await runCli(['model', 'verify', dir, '--sigstore', '--identity', SIGNER.san, '--issuer', SIGNER.issuer, '--trusted-root', rootFile, '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ verified: true, model: 'tiny', identity: SIGNER });

    const wrong = await runCli(['model', 'verify', dir, '--sigstore', '--identity', 'mallory@example.com', '--issuer', SIGNER.issuer, '--trusted-root', rootFile]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('ERR_IDENTITY_MISMATCH');
    // The public-good root does not trust the mock deployment.
    const publicGood = await runCli(['model', 'verify', dir, '--sigstore', '--identity', SIGNER.san, '--issuer', SIGNER.issuer]);
    expect(publicGood.code).toBe(1);

    // The token may also be given inline; text output names the identity.
    const again = await runCli(['model', 'sign', dir, '--sigstore', '--oidc-token', token(), ...services]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(join(dir, 'model.sig'));
    expect(again.stderr).toContain(`certificate for ${SIGNER.san} from ${SIGNER.issuer}`);
  });

  it('usage errors and service failures exit 2 with a stable code', async () => {
    const dir = await makeModel();
    const { privateKeyPem } = generateKeyPair('p256');
    const keyFile = join(await makeTemp(), 'key.pem');
    await writeFile(keyFile, privateKeyPem);
    const cases: [string[], string][] = [
      [['model', 'sign', dir, '--sigstore', '--key', keyFile], 'ERR_USAGE'],
      [['model', 'sign', dir, '--key', keyFile, '--oidc-token', token()], 'ERR_USAGE'],
      [['model', 'sign', dir, '--sigstore', '--rekor-entry-type', 'hashedrekord', '--oidc-token', token()], 'ERR_USAGE'],
      [['model', 'sign', dir], 'ERR_USAGE'],
      [['model', 'sign', dir, '--sigstore', '--oidc-token', join(dir, 'no-such-token')], 'ERR_NOT_FOUND'],
      [['model', 'sign', dir, '--sigstore', '--oidc-token', keyFile, '--fulcio-url', mock.url], 'ERR_OIDC_TOKEN'],
    ];
    for (const [args, code] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(code);
    }
  });
});
