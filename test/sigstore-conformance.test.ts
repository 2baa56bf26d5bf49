/**
 * sigstore-conformance bundle-verify cases (a subset, read in place from
 * ../shared/vectors/attestation/sigstore-conformance): each gives its
 * documented answer through provenant/sigstore. Two of them are answered
 * wrongly by @sigstore/verify 3.1.1 alone; the last block shows that, so the
 * checks we add around it stay needed (and visible) when the library moves.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { toSignedEntity, Verifier } from '@sigstore/verify';
import { describe, expect, it } from 'vitest';
import { importPublicKey } from 'provenant';
import { parseTrustedRoot, publicGoodTrustedRoot, verifySigstoreBundle, type SigstoreTrustedRoot } from '../bindings/sigstore/index.js';
import { parseBundle } from '../bindings/sigstore/bundle.js';
import { trustMaterialOf } from '../bindings/sigstore/trusted-root.js';
import { HAVE_VECTORS, rejection, VECTORS } from './helpers.js';

const CASES = join(VECTORS, 'attestation/sigstore-conformance');
const PUBLIC_GOOD = join(VECTORS, 'attestation/sigstore-js/trusted_root.public-good.json');
const IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

/** Every case and its answer: `valid`, or the stable code it is rejected with. */
const EXPECTED: Record<string, 'valid' | string> = {
  'happy-path-v0.3': 'valid',
  'happy-path-intoto-in-dsse-v3': 'valid',
  'intoto-with-custom-trust-root': 'valid',
  'managed-key-happy-path': 'valid',
  'managed-key-and-trusted-root': 'valid',
  'rekor2-happy-path': 'valid',
  // @sigstore/verify 3.1.1 rejects it (the hashedrekord entry records SHA-256 of the PAE); we accept it.
  'rekor2-dsse-happy-path': 'valid',
  'managed-key-no-key_fail': 'ERR_KEY_MISMATCH', // signed with a key, verified with an identity only
  'managed-key-wrong-key_fail': 'ERR_KEY_INVALID', // key.pub does not parse
  'message-digest-mismatch_fail': 'ERR_DIGEST_MISMATCH',
  'dsse-mismatch-sig_fail': 'ERR_TLOG_INVALID', // the log recorded another (valid) signature
  'dsse-invalid-sig_fail': 'ERR_TLOG_INVALID', // the envelope's signature is not the logged one
  'signature-mismatch_fail': 'ERR_TLOG_INVALID',
  'wrong-material_fail': 'ERR_DIGEST_MISMATCH',
  'bundle-unknown-version_fail': 'ERR_UNKNOWN_MEDIA_TYPE',
  'intoto-expired-certificate_fail': 'ERR_CERTIFICATE_EXPIRED',
  // @sigstore/verify 3.1.1 accepts it (a missing validFor.start read as the beginning of time); we reject the root.
  'trust-root-tlog-missing-validity-start_fail': 'ERR_TRUSTED_ROOT_INVALID',
};

/** Run one case as the conformance harness does: its key, trusted root and artifact, or the defaults. */
async function runCase(name: string) {
  const dir = join(CASES, name);
  const file = (f: string) => join(dir, f);
  const trustedRoot = existsSync(file('trusted_root.json')) ? parseTrustedRoot(readFileSync(file('trusted_root.json'))) : parseTrustedRoot(readFileSync(PUBLIC_GOOD));
  const artifact = readFileSync(existsSync(file('artifact')) ? file('artifact') : join(CASES, 'a.txt'));
  const keyed = existsSync(file('key.pub'));
  return verifySigstoreBundle(readFileSync(file('bundle.sigstore.json')), {
    trustedRoot,
    artifact,
    ...(keyed ? { keys: [await importPublicKey(readFileSync(file('key.pub')))] } : { identities: [{ san: IDENTITY, issuer: ISSUER }] }),
  });
}

describe.skipIf(!HAVE_VECTORS)('sigstore-conformance bundle-verify cases (needs ../shared/vectors)', () => {
  it('the table covers every case directory, and only those', () => {
    const dirs = readdirSync(CASES).filter((n) => statSync(join(CASES, n)).isDirectory());
    expect(dirs.sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const name of dirs) expect(EXPECTED[name] === 'valid', name).toBe(!name.endsWith('_fail'));
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    if (expected === 'valid') {
      it(`${name}: valid`, async () => {
        const verified = await runCase(name);
        if (name.startsWith('managed-key')) expect(verified.keyId).toBeDefined();
        else expect(verified.identity).toEqual({ san: IDENTITY, issuer: ISSUER });
        expect(verified.timestamps.length).toBeGreaterThan(0);
      });
    } else {
      it(`${name}: rejected with ${expected}`, async () => {
        const err = await rejection(runCase(name));
        expect(err.code, err.message).toBe(expected);
      });
    }
  }

  it('the public-good trusted root shipped in the package is the one in the vectors', () => {
    const shipped = readFileSync(new URL('../bindings/sigstore/trusted_root.public-good.json', import.meta.url));
    expect(shipped.equals(readFileSync(PUBLIC_GOOD))).toBe(true);
    expect(publicGoodTrustedRoot().tlogs.map((t) => t.baseUrl)).toEqual(['https://rekor.sigstore.dev', 'https://log2025-1.rekor.sigstore.dev']);
  });

  it('the rejected trust root is named field by field', async () => {
    const err = await rejection(runCase('trust-root-tlog-missing-validity-start_fail'));
    expect(err.message).toContain('tlogs[1].publicKey.validFor.start: required');
  });
});

/**
 * What @sigstore/verify 3.1.1 answers by itself, with the same parsed
 * bundle and trust material (no provenant checks around it). If one of these
 * starts failing after an upgrade, the library fixed the gap.
 */
describe.skipIf(!HAVE_VECTORS)('@sigstore/verify 3.1.1 alone on the two cases it gets wrong (needs ../shared/vectors)', () => {
  function libraryVerify(name: string, root: SigstoreTrustedRoot): () => unknown {
    const parsed = parseBundle(readFileSync(join(CASES, name, 'bundle.sigstore.json')));
    const entity = toSignedEntity(parsed.message, readFileSync(join(CASES, 'a.txt')));
    return () => new Verifier(trustMaterialOf(root)).verify(entity, { subjectAlternativeName: IDENTITY, extensions: { issuer: ISSUER } });
  }

  it('accepts trust-root-tlog-missing-validity-start_fail once the root is read its way', () => {
    const lenient = parseTrustedRoot(readFileSync(join(CASES, 'trust-root-tlog-missing-validity-start_fail/trusted_root.json')), {
      allowMissingValidityStart: true,
    });
    expect(libraryVerify('trust-root-tlog-missing-validity-start_fail', lenient)).not.toThrow();
  });

  it('rejects rekor2-dsse-happy-path: it compares the hashedrekord digest with SHA-256(payload), not SHA-256(PAE)', () => {
    const root = parseTrustedRoot(readFileSync(join(CASES, 'rekor2-dsse-happy-path/trusted_root.json')));
    expect(libraryVerify('rekor2-dsse-happy-path', root)).toThrow(/digest mismatch/);
  });
});
