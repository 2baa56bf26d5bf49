/**
 * Keys: Ed25519, ECDSA P-256 (SHA-256) and P-384 (SHA-384) from every input
 * form; RFC 7638 key ids checked against jose and against a thumbprint we hash
 * ourselves; unsupported and garbage keys fail by code; a Signer that never
 * hands its key to provenant (a simulated KMS) signs envelopes that verify.
 */
import {
  createHash,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  importPublicKey,
  importSigner,
  KEYGEN_ALGORITHMS,
  verifySignature,
  type KeyAlgorithm,
  type KeyInput,
  type PublicKey,
  type Signer,
} from '../src/envelope/keys.js';
import { pae } from '../src/envelope/pae.js';
import { parseEnvelope } from '../src/envelope/parse.js';
import { signEnvelope } from '../src/envelope/sign.js';
import { verifyEnvelope } from '../src/envelope/verify.js';
import { utf8 } from '../src/lib/bytes.js';
import { derToRawEcdsa } from '../src/lib/der.js';

/** RFC 8037 Appendix A.1-A.3: the Ed25519 example key and its RFC 7638 thumbprint. */
const RFC8037_PUBLIC_JWK = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } as const;
const RFC8037_PRIVATE_JWK = { ...RFC8037_PUBLIC_JWK, d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' } as const;
const RFC8037_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';

/** RFC 7638 §3.2 by hand: required members only, sorted, no whitespace, SHA-256, base64url. */
function thumbprintByHand(jwk: { kty?: string; crv?: string; x?: string; y?: string }): string {
  const members =
    jwk.kty === 'EC'
      ? `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`
      : `{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}"}`;
  return createHash('sha256').update(members, 'utf8').digest('base64url');
}

function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, got success');
    },
    (err: unknown) => (err as { code?: string }).code,
  );
}

interface Case {
  algorithm: KeyAlgorithm;
  make: () => { privateKey: KeyObject; publicKey: KeyObject };
  hash: 'sha256' | 'sha384' | null;
  coordinate: number;
}

const CASES: Case[] = [
  { algorithm: 'ed25519', make: () => generateKeyPairSync('ed25519'), hash: null, coordinate: 32 },
  { algorithm: 'p256', make: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }), hash: 'sha256', coordinate: 32 },
  { algorithm: 'p384', make: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), hash: 'sha384', coordinate: 48 },
];

describe('key import', () => {
  for (const c of CASES) {
    it(`${c.algorithm}: SPKI PEM, JWK, KeyObject and private forms give one key id`, async () => {
      const { privateKey, publicKey } = c.make();
      const jwk = publicKey.export({ format: 'jwk' });
      const expectedId = await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256');
      expect(thumbprintByHand(jwk)).toBe(expectedId);
      const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const inputs: KeyInput[] = [
        spki,
        utf8(spki),
        `Public-Key: (comment an openssl -text dump puts first)\n${spki}`,
        jwk,
        JSON.stringify(jwk),
        publicKey,
        privateKey, // its public half is used
        privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      ];
      for (const input of inputs) {
        const key = await importPublicKey(input);
        expect(key.algorithm).toBe(c.algorithm);
        expect(key.keyId).toBe(expectedId);
        expect(key.keyObject.type).toBe('public');
        expect(key.pem).toBe(spki);
      }
    });

    it(`${c.algorithm}: signers from PKCS#8 PEM, SEC1 PEM, JWK and KeyObject sign what node:crypto verifies`, async () => {
      const { privateKey, publicKey } = c.make();
      const privateInputs: KeyInput[] = [
        privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        privateKey.export({ format: 'jwk' }),
        JSON.stringify(privateKey.export({ format: 'jwk' })),
        privateKey,
      ];
      if (c.algorithm !== 'ed25519') {
        const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
        expect(sec1).toContain('-----BEGIN EC PRIVATE KEY-----');
        privateInputs.push(sec1);
      }
      const data = utf8(`signed by ${c.algorithm}`);
      const expectedId = (await importPublicKey(publicKey)).keyId;
      for (const input of privateInputs) {
        const signer = await importSigner(input);
        expect(signer.publicKey.keyId).toBe(expectedId);
        const sig = await signer.sign(data);
        // Independent check with node:crypto and the curve's own hash.
        expect(nodeVerify(c.hash, data, publicKey, sig)).toBe(true);
        expect(verifySignature(signer.publicKey, data, sig)).toBe(true);
        expect(verifySignature(signer.publicKey, utf8('something else'), sig)).toBe(false);
      }
    });
  }

  it('ECDSA P-384 signs over SHA-384, not SHA-256', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const signer = await importSigner(privateKey);
    const data = utf8('which hash?');
    const sig = await signer.sign(data);
    expect(sig[0]).toBe(0x30); // DER, as the Signer interface promises
    expect(nodeVerify('sha384', data, publicKey, sig)).toBe(true);
    expect(nodeVerify('sha256', data, publicKey, sig)).toBe(false);
    // And our verifier hashes P-384 with SHA-384: a SHA-256 signature does not verify.
    const wrongHash = nodeSign('sha256', data, privateKey);
    expect(nodeVerify('sha256', data, publicKey, wrongHash)).toBe(true);
    expect(verifySignature(signer.publicKey, data, wrongHash)).toBe(false);
  });

  it('ECDSA P-256 signs over SHA-256', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = await importSigner(privateKey);
    const data = utf8('which hash?');
    const sig = await signer.sign(data);
    expect(nodeVerify('sha256', data, publicKey, sig)).toBe(true);
    expect(nodeVerify('sha384', data, publicKey, sig)).toBe(false);
  });

  for (const c of CASES.filter((x) => x.hash !== null)) {
    it(`${c.algorithm}: verifySignature accepts the same signature as DER and as raw r||s`, async () => {
      const { privateKey } = c.make();
      const signer = await importSigner(privateKey);
      const data = utf8('two encodings');
      for (let i = 0; i < 20; i++) {
        const der = await signer.sign(data);
        const raw = derToRawEcdsa(der, c.coordinate);
        expect(raw.length).toBe(2 * c.coordinate);
        expect(nodeVerify(c.hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
        expect(verifySignature(signer.publicKey, data, der)).toBe(true);
        expect(verifySignature(signer.publicKey, data, raw)).toBe(true);
        const tampered = raw.slice();
        tampered[5]! ^= 0x40;
        expect(verifySignature(signer.publicKey, data, tampered)).toBe(false);
      }
    });
  }

  it('generateKeyPair gives importable PKCS#8/SPKI pairs for every keygen algorithm', async () => {
    expect([...KEYGEN_ALGORITHMS]).toEqual(['ed25519', 'p256', 'p384']);
    for (const algorithm of KEYGEN_ALGORITHMS) {
      const pair = generateKeyPair(algorithm);
      expect(pair.privateKeyPem).toContain('-----BEGIN PRIVATE KEY-----');
      const signer = await importSigner(pair.privateKeyPem);
      const key = await importPublicKey(pair.publicKeyPem);
      expect(signer.publicKey.keyId).toBe(key.keyId);
      expect(key.algorithm).toBe(algorithm);
      expect(verifySignature(key, utf8('x'), await signer.sign(utf8('x')))).toBe(true);
    }
    expect(generateKeyPair().algorithm).toBe('ed25519');
    expect(() => generateKeyPair('rsa' as KeyAlgorithm)).toThrow(expect.objectContaining({ code: 'ERR_KEY_UNSUPPORTED' }));
  });
});

describe('RFC 7638 key ids', () => {
  it('the RFC 8037 Ed25519 example key has the RFC thumbprint, by jose, by hand and by us', async () => {
    expect(await calculateJwkThumbprint(RFC8037_PUBLIC_JWK, 'sha256')).toBe(RFC8037_THUMBPRINT);
    expect(thumbprintByHand(RFC8037_PUBLIC_JWK)).toBe(RFC8037_THUMBPRINT);
    expect((await importPublicKey(RFC8037_PUBLIC_JWK)).keyId).toBe(RFC8037_THUMBPRINT);
    expect((await importSigner(RFC8037_PRIVATE_JWK)).publicKey.keyId).toBe(RFC8037_THUMBPRINT);
    // The same key as SPKI PEM, and with extra JWK members that the thumbprint ignores.
    const pem = createPublicKey({ key: RFC8037_PUBLIC_JWK, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    expect((await importPublicKey(pem)).keyId).toBe(RFC8037_THUMBPRINT);
    expect((await importPublicKey({ ...RFC8037_PUBLIC_JWK, kid: 'ignored', use: 'sig' })).keyId).toBe(RFC8037_THUMBPRINT);
  });

  it('an EC key id hashes crv, kty, x, y in that order', async () => {
    const jwk = { kty: 'EC', crv: 'P-256', x: 'Z805D3eqNZywjCI19lInBJOp7YMrCrzAH3CVTAOQ0jg', y: 'DHgr1U4mkSWkT0Qzr_FDLOlOErynOqZ6yAzqEmCN33Q' };
    const expected = createHash('sha256')
      .update('{"crv":"P-256","kty":"EC","x":"Z805D3eqNZywjCI19lInBJOp7YMrCrzAH3CVTAOQ0jg","y":"DHgr1U4mkSWkT0Qzr_FDLOlOErynOqZ6yAzqEmCN33Q"}')
      .digest('base64url');
    expect((await importPublicKey(jwk)).keyId).toBe(expected);
    expect(await calculateJwkThumbprint(jwk, 'sha256')).toBe(expected);
  });
});

describe('unsupported and invalid keys', () => {
  it('RSA, secp256k1, X25519 and Ed448 give ERR_KEY_UNSUPPORTED', async () => {
    const pairs = [
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }),
      generateKeyPairSync('x25519'),
      generateKeyPairSync('ed448'),
    ];
    for (const { privateKey, publicKey } of pairs) {
      const label = `${publicKey.asymmetricKeyType} ${publicKey.asymmetricKeyDetails?.namedCurve ?? ''}`;
      for (const input of [publicKey, publicKey.export({ type: 'spki', format: 'pem' }).toString(), publicKey.export({ format: 'jwk' })]) {
        expect(await codeOf(importPublicKey(input)), label).toBe('ERR_KEY_UNSUPPORTED');
      }
      for (const input of [privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()]) {
        expect(await codeOf(importSigner(input)), label).toBe('ERR_KEY_UNSUPPORTED');
      }
    }
  });

  it('garbage gives ERR_KEY_INVALID', async () => {
    const garbage: unknown[] = [
      '',
      'hello',
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
      '-----BEGIN PUBLIC KEY-----\nnot base64 at all!\n-----END PUBLIC KEY-----\n',
      '{not json',
      '{"kty":"OKP","crv":"Ed25519"}',
      '{"kty":"OKP","crv":"Ed25519","x":"short"}',
      { kty: 'oct', k: 'c2VjcmV0' },
      { kty: 'EC', crv: 'P-256', x: 'Z805D3eqNZywjCI19lInBJOp7YMrCrzAH3CVTAOQ0jg', y: 'AAAA' },
      new Uint8Array([0x30, 0x82, 0x01]),
      {},
      createSecretKey(Buffer.alloc(32, 1)),
    ];
    for (const input of garbage) {
      expect(await codeOf(importPublicKey(input as KeyInput)), String(input)).toBe('ERR_KEY_INVALID');
      expect(await codeOf(importSigner(input as KeyInput)), String(input)).toBe('ERR_KEY_INVALID');
    }
  });

  it('a public key is not a signer', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    for (const input of [publicKey, publicKey.export({ type: 'spki', format: 'pem' }).toString(), publicKey.export({ format: 'jwk' })]) {
      expect(await codeOf(importSigner(input))).toBe('ERR_KEY_INVALID');
    }
  });
});

describe('custom Signer', () => {
  /** A "KMS": the private key lives in a closure; provenant sees only the public half and a sign call. */
  function kmsSigner(privateKey: KeyObject, publicKey: PublicKey, hash: string | null, log: Uint8Array[]): Signer {
    return {
      publicKey,
      async sign(data) {
        log.push(data.slice());
        await new Promise((r) => setTimeout(r, 1)); // a network round trip
        return new Uint8Array(nodeSign(hash, data, privateKey));
      },
    };
  }

  for (const c of CASES) {
    it(`${c.algorithm}: a KMS-style signer signs envelopes that verify`, async () => {
      const { privateKey, publicKey } = c.make();
      const pub = await importPublicKey(publicKey.export({ type: 'spki', format: 'pem' }).toString());
      const log: Uint8Array[] = [];
      const signer = kmsSigner(privateKey, pub, c.hash, log);
      const payload = utf8('{"_type":"https://in-toto.io/Statement/v1"}');
      const env = await signEnvelope('application/vnd.in-toto+json', payload, [signer]);
      // The signer was asked to sign the PAE, nothing else.
      expect(log).toEqual([pae('application/vnd.in-toto+json', payload)]);
      expect(env.signatures[0]?.keyid).toBe(pub.keyId);
      const out = verifyEnvelope(parseEnvelope(JSON.stringify(env)), { keys: [pub], payloadType: 'application/vnd.in-toto+json' });
      expect(out.payload).toEqual(payload);
      expect(out.signedBy).toEqual([pub.keyId]);
      // A KMS signing with someone else's key does not verify under this public key.
      const other = c.make();
      const liar = kmsSigner(other.privateKey, pub, c.hash, []);
      const forged = await signEnvelope('application/vnd.in-toto+json', payload, [liar]);
      expect(await codeOf(Promise.resolve().then(() => verifyEnvelope(parseEnvelope(JSON.stringify(forged)), { keys: [pub] })))).toBe(
        'ERR_SIGNATURE_INVALID',
      );
    });
  }

  it('a KMS that returns raw r||s (P1363) is accepted too', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = await importPublicKey(publicKey);
    const signer: Signer = {
      publicKey: pub,
      sign: async (data) => new Uint8Array(nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
    };
    const env = await signEnvelope('text/plain', utf8('p1363'), [signer]);
    expect(Buffer.from(env.signatures[0]!.sig, 'base64').length).toBe(64);
    expect(verifyEnvelope(parseEnvelope(env), { keys: [pub] }).signedBy).toEqual([pub.keyId]);
  });
});

describe('private key material in PEM', () => {
  it('a PKCS#8 private PEM passed as a public key exposes only the public half', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const key = await importPublicKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    expect(key.keyObject.type).toBe('public');
    expect(key.pem).toContain('BEGIN PUBLIC KEY');
    expect(key.pem).not.toContain('PRIVATE');
  });
});
