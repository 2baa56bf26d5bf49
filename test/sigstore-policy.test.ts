/**
 * Sigstore identities as trust-policy roles. Keyless signing goes through
 * the CLI against the Sigstore project's own mock Fulcio, Rekor and timestamp
 * authority (@sigstore/mock) on 127.0.0.1 (see ./sigstore-mock.ts); the
 * record's DSSE envelope goes into the store, its bundle into the sidecar
 * `<id>.sigstore.json`, and `provenant verify --policy` checks the bundle
 * offline against the mock deployment's trusted root.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryStore, generateKeyPair, parsePolicy, verifyChain, type PolicyRole } from 'provenant';
import { startMockSigstore, mockIdentityToken, type MockSigstore } from './sigstore-mock.js';
import { cleanupTemp, expectCode, HAVE_DIST, makeTemp, runCli } from './helpers.js';

const SIGNER = { san: 'release@example.com', issuer: 'https://issuer.example' };
const token = () => mockIdentityToken({ iss: SIGNER.issuer, sub: SIGNER.san, email: SIGNER.san });

let mock: MockSigstore;
beforeAll(async () => {
  mock = await startMockSigstore();
});
afterAll(async () => {
  await mock?.close();
  await cleanupTemp();
});

describe('policy roles with Sigstore identities', () => {
  it('parses sigstore identities and a trusted root relative to the policy', async () => {
    const policy = await parsePolicy(
      [
        'version: 1',
        'roles:',
        '  publisher:',
        '    sigstore:',
        `      - { san: ${SIGNER.san}, issuer: '${SIGNER.issuer}' }`,
        "      - { sanPattern: '^https://github.com/org/.+$', issuer: https://token.actions.githubusercontent.com }",
        '    trustedRoot: trusted_root.json',
        'kinds:',
        '  model: { signedBy: publisher }',
      ].join('\n'),
      { baseDir: '/etc/provenant' },
    );
    const role = policy.roles.get('publisher')!;
    expect(role.keys).toEqual([]);
    expect(role.threshold).toBe(1);
    expect(role.sigstore).toEqual([
      SIGNER,
      { sanPattern: '^https://github.com/org/.+$', issuer: 'https://token.actions.githubusercontent.com' },
    ]);
    expect(role.trustedRoot).toBe('/etc/provenant/trusted_root.json');
  });

  it('refuses bad sigstore roles with ERR_POLICY_INVALID, naming every bad field', async () => {
    const err = await expectCode(
      parsePolicy({
        version: 1,
        roles: {
          empty: {},
          both: { sigstore: [{ san: 'a@b', sanPattern: '.*', issuer: 'https://i' }] },
          neither: { sigstore: [{ issuer: 'https://i' }] },
          noissuer: { sigstore: [{ san: 'a@b' }] },
          badre: { sigstore: [{ sanPattern: '(', issuer: 'https://i' }] },
          rootonly: { keys: [generateKeyPair('ed25519').publicKeyPem], trustedRoot: 'x.json' },
          threshold: { sigstore: [{ san: 'a@b', issuer: 'https://i' }], threshold: 2 },
          extra: { sigstore: [{ san: 'a@b', issuer: 'https://i', email: 'x' }] },
        },
        kinds: { model: { signedBy: 'empty' } },
      }),
      'ERR_POLICY_INVALID',
    );
    const paths = (err as unknown as { fields: { path: string }[] }).fields.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'policy.roles.empty.keys',
        'policy.roles.both.sigstore[0]',
        'policy.roles.neither.sigstore[0]',
        'policy.roles.noissuer.sigstore[0].issuer',
        'policy.roles.badre.sigstore[0].sanPattern',
        'policy.roles.rootonly.trustedRoot',
        'policy.roles.threshold.threshold',
      ]),
    );
    expect(paths.some((p) => p.startsWith('policy.roles.extra.sigstore[0]'))).toBe(true);
  });

  it('verifyChain fails closed without a bundle or without the plug-in', async () => {
    const store = new DirectoryStore(join(await makeTemp(), 'store'));
    const dir = await makeTemp();
    await writeFile(join(dir, 'rows.jsonl'), '{"x":1}\n');
    const { attestDataset, importSigner } = await import('provenant');
    const record = await attestDataset(dir, { name: 'rows', version: '1', signer: await importSigner(generateKeyPair('ed25519').privateKeyPem) });
    const id = await store.put(record.envelopeBytes);
    const policy = await parsePolicy({ version: 1, roles: { publisher: { sigstore: [SIGNER] } }, kinds: { dataset: { signedBy: 'publisher' } } });
    const failed = (r: Awaited<ReturnType<typeof verifyChain>>) => r.checks.filter((c) => !c.ok).map((c) => c.code);

    const noBundle = await verifyChain(id, { store, policy, sigstoreBundles: (i) => store.getBundle(i) });
    expect(noBundle.verified).toBe(false);
    expect(failed(noBundle)).toEqual(['ERR_SIGSTORE_BUNDLE_MISSING']);

    await store.putBundle(id, new TextEncoder().encode('{}'));
    const noPlugin = await verifyChain(id, { store, policy, sigstoreBundles: (i) => store.getBundle(i) });
    expect(failed(noPlugin)).toEqual(['ERR_SIGSTORE_UNAVAILABLE']);

    const seen: PolicyRole[] = [];
    const plugin = {
      async verifyRole(role: PolicyRole) {
        seen.push(role);
        return { signer: 'sigstore:test' };
      },
    };
    const ok = await verifyChain(id, { store, policy, sigstore: plugin, sigstoreBundles: (i) => store.getBundle(i) });
    expect(ok.verified, JSON.stringify(ok.checks)).toBe(true);
    expect(seen.map((r) => r.name)).toEqual(['publisher']);
    expect(ok.chain[0]!.signedBy).toEqual(['sigstore:test']);
    // The sidecar is not a record.
    const listed = [];
    for await (const i of store.list()) listed.push(i.toString());
    expect(listed).toEqual([id.toString()]);
  });
});

describe.skipIf(!HAVE_DIST)('dataset/model attest --sigstore and verify --policy against @sigstore/mock (needs the build)', () => {
  it('signs a dataset and a model keylessly; verify passes with the right identity only', { timeout: 120_000 }, async () => {
    const work = await makeTemp();
    const store = join(work, 'store');
    const services = ['--oidc-token', token(), '--fulcio-url', mock.url, '--rekor-url', mock.url, '--rekor-entry-type', 'intoto', '--tsa-url', mock.url];
    await writeFile(join(work, 'trusted_root.json'), JSON.stringify(mock.trustedRoot));

    // A dataset, signed keylessly.
    const data = join(work, 'data');
    await mkdir(data);
    await writeFile(join(data, 'rows.jsonl'), '{"x":1}\n');
    const ds = await runCli(['dataset', 'attest', data, '--name', 'rows', '--version', '1', '--sigstore', ...services, '--store', store, '--json']);
    expect(ds.code, ds.stderr).toBe(0);
    const dsOut = JSON.parse(ds.stdout);
    expect(dsOut).toMatchObject({ kind: 'dataset', identity: SIGNER });

    // Weights signed with a key (trusted by --trust and by the policy's weights role), the model record keylessly.
    const model = join(work, 'tiny');
    await mkdir(model);
    await writeFile(join(model, 'weights.bin'), Buffer.alloc(4096, 3));
    const { privateKeyPem, publicKeyPem } = generateKeyPair('ed25519');
    await writeFile(join(work, 'weights.pem'), privateKeyPem);
    await writeFile(join(work, 'weights.pub'), publicKeyPem);
    const sig = join(work, 'model.sig');
    const signed = await runCli(['model', 'sign', model, '--key', join(work, 'weights.pem'), '--signature', sig]);
    expect(signed.code, signed.stderr).toBe(0);
    const md = await runCli([
      'model', 'attest', model, '--name', 'tiny', '--version', '1', '--weights', sig, '--trust', join(work, 'weights.pub'),
      '--sigstore', ...services, '--store', store, '--json',
    ]);
    expect(md.code, md.stderr).toBe(0);
    const mdOut = JSON.parse(md.stdout);
    expect(mdOut).toMatchObject({ kind: 'model', identity: SIGNER });

    // An output of that model, signed keylessly too.
    await writeFile(join(work, 'out.txt'), 'generated text');
    const out = await runCli(['output', 'sign', join(work, 'out.txt'), '--model', mdOut.id, '--sigstore', ...services, '--store', store, '--json']);
    expect(out.code, out.stderr).toBe(0);
    const outOut = JSON.parse(out.stdout);
    expect(outOut).toMatchObject({ kind: 'output', identity: SIGNER });

    const writePolicy = async (name: string, identity: object) => {
      const path = join(work, name);
      await writeFile(
        path,
        JSON.stringify({
          version: 1,
          roles: {
            publisher: { sigstore: [identity], trustedRoot: 'trusted_root.json' },
            signer: { keys: ['weights.pub'] },
          },
          kinds: { dataset: { signedBy: 'publisher' }, model: { signedBy: 'publisher' }, output: { signedBy: 'publisher' }, weights: { signedBy: 'signer' } },
        }),
      );
      return path;
    };
    const good = await writePolicy('good.json', SIGNER);
    const pattern = await writePolicy('pattern.json', { sanPattern: '[a-z]+@example\\.com', issuer: SIGNER.issuer });
    const other = await writePolicy('other.json', { san: 'mallory@example.com', issuer: SIGNER.issuer });

    for (const [target, policy] of [[mdOut.id, good], [dsOut.id, good], [mdOut.id, pattern], [outOut.id, good]] as const) {
      const r = await runCli(['verify', target, '--policy', policy, '--store', store, '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.verified).toBe(true);
      expect(report.checks.find((c: { record: string; check: string }) => c.record === target && c.check === 'signature').message).toContain(SIGNER.san);
    }

    const wrong = await runCli(['verify', mdOut.id, '--policy', other, '--store', store, '--json']);
    expect(wrong.code).toBe(1);
    const wrongReport = JSON.parse(wrong.stdout);
    expect(wrongReport.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { code: string }) => c.code)).toEqual(['ERR_IDENTITY_MISMATCH']);

    // Without the sidecar bundle the role has no signature: a failed check, never "verified".
    await rm(new DirectoryStore(store).bundlePathOf(mdOut.id));
    const missing = await runCli(['verify', mdOut.id, '--policy', good, '--store', store, '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).checks.filter((c: { ok: boolean }) => !c.ok).map((c: { code: string }) => c.code)).toEqual([
      'ERR_SIGSTORE_BUNDLE_MISSING',
    ]);
  });

  it('usage errors exit 2', async () => {
    const work = await makeTemp();
    const { privateKeyPem } = generateKeyPair('ed25519');
    await writeFile(join(work, 'k.pem'), privateKeyPem);
    const cases: string[][] = [
      ['dataset', 'attest', work, '--name', 'n', '--version', '1', '--sigstore', '--key', join(work, 'k.pem')],
      ['dataset', 'attest', work, '--name', 'n', '--version', '1', '--key', join(work, 'k.pem'), '--oidc-token', token()],
      ['dataset', 'attest', work, '--name', 'n', '--version', '1', '--sigstore', '--rekor-entry-type', 'hashedrekord'],
      ['model', 'attest', work, '--name', 'n', '--version', '1', '--sigstore', '--oidc-token', token()],
    ];
    for (const args of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('ERR_USAGE');
    }
  });
});
