/**
 * C2PA assets made by other implementations (../shared/vectors/c2pa, read
 * in place): every file gives the result its INDEX.md lists, under the
 * three trust settings it was read with (default; the official C2PA trust
 * list; the c2pa-rs test root with its EKU configuration).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCredentials, type C2paCredentials, type ReadCredentialsOptions } from '../bindings/c2pa/index.js';
import { expectCode, VECTORS } from './helpers.js';

const DIR = join(VECTORS, 'c2pa');
const HAVE = existsSync(join(DIR, 'INDEX.md'));
if (!HAVE) console.warn(`skipping the C2PA vector tests: ${DIR}/INDEX.md is absent (the shared vectors are not mounted)`);

const file = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const pem = (name: string) => readFileSync(join(DIR, 'trust', name), 'utf8');
const TRUST: Record<string, () => ReadCredentialsOptions> = {
  default: () => ({}),
  official: () => ({ trustList: pem('C2PA-TRUST-LIST.pem') }),
  'c2pa-rs test root': () => ({ trustList: pem('c2pa-rs-test_cert_root_bundle.pem'), trustConfig: pem('c2pa-rs-store.cfg') }),
};

function mediaTypeOf(name: string): string {
  if (name.endsWith('.pdf')) return 'application/pdf';
  if (name.endsWith('.mp4')) return 'video/mp4';
  return 'image/jpeg';
}

async function read(name: string, trust: keyof typeof TRUST = 'default'): Promise<C2paCredentials> {
  const result = await readCredentials(file(name), mediaTypeOf(name), TRUST[trust]!());
  expect(result.present, `${name}: expected credentials`).toBe(true);
  return result as C2paCredentials;
}

const codes = (c: C2paCredentials) => [...new Set(c.status.map((s) => s.code))].sort();

describe.skipIf(!HAVE)('C2PA vectors (INDEX.md)', () => {
  const validOnes = ['C.jpg', 'CA.jpg', 'CACA.jpg', 'CIE-sig-CA.jpg', 'boxhash.jpg', 'legacy_ingredient_hash.jpg', 'update_manifest.jpg', 'c2pa-attacks-C.jpg'];
  for (const name of validOnes) {
    it(`${name}: valid, untrusted by default and with the official list, trusted with the c2pa-rs test root`, async () => {
      for (const trust of ['default', 'official'] as const) {
        const c = await read(name, trust);
        expect(c.state, trust).toBe('Valid');
        expect(codes(c), trust).toEqual(['signingCredential.untrusted']);
      }
      const trusted = await read(name, 'c2pa-rs test root');
      expect(trusted.state).toBe('Trusted');
      expect(trusted.status).toEqual([]);
      expect(trusted.validation.failure).toEqual([]);
    });
  }

  it('C_with_CAWG_data.jpg: valid; cawg.training-mining and cawg.identity (the identity credential stays untrusted)', async () => {
    const c = await read('C_with_CAWG_data.jpg', 'c2pa-rs test root');
    expect(c.state).toBe('Valid');
    expect(codes(c)).toEqual(['cawg.x509.credential.untrusted']);
    expect(c.active.assertions).toEqual(expect.arrayContaining(['cawg.training-mining', 'cawg.identity']));
    expect(c.active.trainingMining).toEqual({ 'cawg.ai_inference': 'notAllowed', 'cawg.ai_generative_training': 'notAllowed' });
    expect(codes(await read('C_with_CAWG_data.jpg'))).toEqual(['cawg.x509.credential.untrusted', 'signingCredential.untrusted']);
  });

  const invalid: [string, string[]][] = [
    ['XCA.jpg', ['assertion.dataHash.mismatch']],
    ['E-sig-CA.jpg', ['claimSignature.mismatch']],
    ['adobe-20220124-E-clm-CAICAI.jpg', ['assertion.hashedURI.mismatch', 'ingredient.manifest.missing']],
    ['public-nikon-20221019-building.jpeg', ['signingCredential.expired']],
  ];
  for (const [name, expected] of invalid) {
    it(`${name}: invalid: ${expected.join(', ')}`, async () => {
      for (const trust of Object.keys(TRUST)) {
        const c = await read(name, trust);
        expect(c.state, trust).toBe('Invalid');
        expect(codes(c).filter((code) => code !== 'signingCredential.untrusted'), trust).toEqual(expected);
      }
    });
  }

  for (const name of ['ocsp.jpg', 'public-adobe-20240110-single_manifest_store.pdf']) {
    it(`${name}: valid, untrusted even with the official list`, async () => {
      for (const trust of ['default', 'official'] as const) {
        const c = await read(name, trust);
        expect(c.state, trust).toBe('Valid');
        expect(codes(c), trust).toEqual(['signingCredential.untrusted']);
      }
    });
  }

  it('video1.mp4: valid (BMFF)', async () => {
    const c = await read('video1.mp4');
    expect(c.state).toBe('Valid');
    expect(codes(c)).toEqual(['signingCredential.untrusted']);
    expect(c.validation.success.map((s) => s.code)).toContain('assertion.bmffHash.match');
  });

  it('c2pa-js-dashinit.mp4: bmffHash.mismatch alone; bmffHash.match when read with its fragment', async () => {
    const alone = await read('c2pa-js-dashinit.mp4');
    expect(alone.state).toBe('Invalid');
    expect(codes(alone).filter((code) => code !== 'signingCredential.untrusted')).toEqual(['assertion.bmffHash.mismatch']);
    const withFragment = await readCredentials(file('c2pa-js-dashinit.mp4'), 'video/mp4', { fragment: file('c2pa-js-dash1.m4s') });
    expect(withFragment.present && withFragment.state).toBe('Valid');
    expect((withFragment as C2paCredentials).validation.success.map((s) => s.code)).toContain('assertion.bmffHash.match');
  });

  it('no_manifest.jpg: no C2PA manifest at all', async () => {
    expect(await readCredentials(file('no_manifest.jpg'), 'image/jpeg')).toEqual({ present: false, mediaType: 'image/jpeg' });
  });

  it('no_alg.jpg: a clear error naming UnknownAlgorithm', async () => {
    const err = await expectCode(readCredentials(file('no_alg.jpg'), 'image/jpeg'), 'ERR_C2PA_UNREADABLE');
    expect(err.message).toContain('UnknownAlgorithm');
  });

  it('prerelease.jpg: a clear error naming PrereleaseError', async () => {
    const err = await expectCode(readCredentials(file('prerelease.jpg'), 'image/jpeg'), 'ERR_C2PA_UNREADABLE');
    expect(err.message).toContain('PrereleaseError');
  });
});
