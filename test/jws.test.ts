/**
 * The JWS form of a record: compact and general JSON serializations, counted
 * like DSSE (distinct trusted keys, threshold), explicit algorithms, and the
 * DER <-> raw ECDSA conversion JWS needs. Cross-checked with jose's own
 * verifiers and signers and with the RFC 8037 Ed25519 example.
 */
import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { base64url, compactVerify, CompactSign, FlattenedSign, flattenedVerify, GeneralSign, generalVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  JWS_ALGORITHMS,
  toJwsCompact,
  toJwsGeneral,
  verifyJws,
  type GeneralJws,
  type JwsAlgorithm,
  type VerifyJwsOptions,
} from '../src/envelope/jws.js';
import { importPublicKey, importSigner, type PublicKey, type Signer } from '../src/envelope/keys.js';
import { parseEnvelope } from '../src/envelope/parse.js';
import { signEnvelope } from '../src/envelope/sign.js';
import { verifyEnvelope } from '../src/envelope/verify.js';
import { utf8 } from '../src/lib/bytes.js';
import { derToRawEcdsa, rawToDerEcdsa } from '../src/lib/der.js';
import { canonicalJsonBytes } from '../src/lib/json.js';
import { recordId } from '../src/records/id.js';

/** RFC 8037 Appendix A.1/A.4: the Ed25519 example key and its JWS. */
const RFC8037_JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
} as const;
const RFC8037_JWS =
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';

type Curve = 'ed25519' | 'p256' | 'p384';
const ALG: Record<Curve, JwsAlgorithm> = { ed25519: 'EdDSA', p256: 'ES256', p384: 'ES384' };
const SIG_BYTES: Record<Curve, number> = { ed25519: 64, p256: 64, p384: 96 };

function makeKeyObjects(curve: Curve): { privateKey: KeyObject; publicKey: KeyObject } {
  if (curve === 'ed25519') return generateKeyPairSync('ed25519');
  return generateKeyPairSync('ec', { namedCurve: curve === 'p256' ? 'P-256' : 'P-384' });
}

async function makeSigner(curve: Curve): Promise<{ signer: Signer; key: PublicKey; privateKey: KeyObject }> {
  const { privateKey } = makeKeyObjects(curve);
  const signer = await importSigner(privateKey);
  return { signer, key: signer.publicKey, privateKey };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  throw new Error('expected a rejection, got success');
}

function segments(jws: string): [string, string, string] {
  const parts = jws.split('.');
  expect(parts).toHaveLength(3);
  return parts as [string, string, string];
}

const ALL: VerifyJwsOptions['algorithms'] = ['EdDSA', 'ES256', 'ES384'];

describe('RFC 8037 example', () => {
  it('verifies the RFC 8037 A.4 JWS and reproduces it byte for byte', async () => {
    const signer = await importSigner(RFC8037_JWK);
    const out = await verifyJws(RFC8037_JWS, { keys: [signer.publicKey], algorithms: ['EdDSA'] });
    expect(new TextDecoder().decode(out.payload)).toBe('Example of Ed25519 signing');
    expect(out.signedBy).toEqual([signer.publicKey.keyId]);
    // Ed25519 is deterministic: with the RFC's header ({"alg":"EdDSA"}) we produce the RFC's JWS.
    expect(await toJwsCompact(utf8('Example of Ed25519 signing'), signer, { kid: false })).toBe(RFC8037_JWS);
  });
});

describe('compact serialization', () => {
  for (const curve of ['ed25519', 'p256', 'p384'] as const) {
    it(`${curve}: ${ALG[curve]} round trip, checked by jose's compactVerify and node:crypto`, async () => {
      const { signer, key, privateKey } = await makeSigner(curve);
      const payload = utf8(`{"kind":"model","curve":"${curve}"}`);
      const jws = await toJwsCompact(payload, signer, { cty: 'application/vnd.in-toto+json' });
      const [h, p, s] = segments(jws);
      expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: ALG[curve], kid: key.keyId, cty: 'application/vnd.in-toto+json' });
      expect(Buffer.from(p, 'base64url')).toEqual(Buffer.from(payload));
      const raw = Buffer.from(s, 'base64url');
      expect(raw.length).toBe(SIG_BYTES[curve]); // raw r||s, never DER
      // Independent checks: jose alone, and node:crypto with the curve's hash over the JWS signing input.
      const joseOut = await compactVerify(jws, key.keyObject, { algorithms: [ALG[curve]] });
      expect(joseOut.payload).toEqual(payload);
      const hash = curve === 'ed25519' ? null : curve === 'p256' ? 'sha256' : 'sha384';
      const input = Buffer.from(`${h}.${p}`);
      const verifyKey = curve === 'ed25519' ? privateKey : { key: privateKey, dsaEncoding: 'ieee-p1363' as const };
      expect(nodeVerify(hash, input, verifyKey, raw)).toBe(true);
      // Ours.
      const out = await verifyJws(jws, { keys: [key], algorithms: [ALG[curve]], contentType: 'application/vnd.in-toto+json' });
      expect(out.payload).toEqual(payload);
      expect(out.signedBy).toEqual([key.keyId]);
    });
  }

  it('P-521: ES512 with 66-byte coordinates (long-form DER from the signer)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
    const signer = await importSigner(privateKey);
    const jws = await toJwsCompact(utf8('p521'), signer);
    expect(Buffer.from(segments(jws)[2], 'base64url').length).toBe(132);
    expect((await compactVerify(jws, signer.publicKey.keyObject, { algorithms: ['ES512'] })).payload).toEqual(utf8('p521'));
    expect((await verifyJws(jws, { keys: [signer.publicKey], algorithms: ['ES512'] })).signedBy).toEqual([signer.publicKey.keyId]);
    expect(await codeOf(verifyJws(jws, { keys: [signer.publicKey], algorithms: ALL }))).toBe('ERR_ALGORITHM_NOT_ALLOWED');
  });

  it('a tampered payload, header or signature fails', async () => {
    const { signer, key } = await makeSigner('p256');
    const jws = await toJwsCompact(utf8('{"approved":true}'), signer);
    const [h, p, s] = segments(jws);
    const otherPayload = base64url.encode('{"approved":false}');
    const otherHeader = base64url.encode(JSON.stringify({ alg: 'ES256', kid: 'someone-else' }));
    const sig = Buffer.from(s, 'base64url');
    sig[10]! ^= 0x01;
    for (const bad of [`${h}.${otherPayload}.${s}`, `${otherHeader}.${p}.${s}`, `${h}.${p}.${sig.toString('base64url')}`]) {
      expect(await codeOf(verifyJws(bad, { keys: [key], algorithms: ['ES256'] }))).toBe('ERR_SIGNATURE_INVALID');
    }
    expect((await verifyJws(jws, { keys: [key], algorithms: ['ES256'] })).signedBy).toEqual([key.keyId]);
  });

  it('an untrusted key does not verify, even with a trusted kid', async () => {
    const trusted = await makeSigner('ed25519');
    const outsider = await makeSigner('ed25519');
    const jws = await toJwsCompact(utf8('x'), outsider.signer, { kid: trusted.key.keyId });
    expect(await codeOf(verifyJws(jws, { keys: [trusted.key], algorithms: ['EdDSA'] }))).toBe('ERR_SIGNATURE_INVALID');
  });

  it('a compact JWS has one signature: a threshold of 2 is never met', async () => {
    const a = await makeSigner('ed25519');
    const b = await makeSigner('ed25519');
    const jws = await toJwsCompact(utf8('x'), a.signer);
    expect(await codeOf(verifyJws(jws, { keys: [a.key, b.key], threshold: 2, algorithms: ['EdDSA'] }))).toBe('ERR_THRESHOLD_NOT_MET');
  });
});

describe('general JSON serialization', () => {
  it('counts distinct trusted keys like DSSE (2 of 3, mixed algorithms)', async () => {
    const signers = await Promise.all((['ed25519', 'p256', 'p384'] as const).map((c) => makeSigner(c)));
    const keys = signers.map((s) => s.key);
    const payload = utf8('{"proposal":"p1"}');
    const jws = await toJwsGeneral(payload, [signers[0]!.signer, signers[2]!.signer]);
    expect(jws.signatures).toHaveLength(2);
    // jose's generalVerify accepts each signature on its own.
    expect((await generalVerify(jws, keys[0]!.keyObject, { algorithms: ['EdDSA'] })).payload).toEqual(payload);
    expect((await generalVerify(jws, keys[2]!.keyObject, { algorithms: ['ES384'] })).payload).toEqual(payload);
    const out = await verifyJws(jws, { keys, threshold: 2, algorithms: ALL });
    expect(new Set(out.signedBy)).toEqual(new Set([keys[0]!.keyId, keys[2]!.keyId]));
    expect(out.payload).toEqual(payload);
    expect(await codeOf(verifyJws(jws, { keys, threshold: 3, algorithms: ALL }))).toBe('ERR_THRESHOLD_NOT_MET');
    // Also as JSON text and bytes.
    expect((await verifyJws(JSON.stringify(jws), { keys, threshold: 2, algorithms: ALL })).signedBy).toHaveLength(2);
    expect((await verifyJws(utf8(JSON.stringify(jws)), { keys, threshold: 2, algorithms: ALL })).signedBy).toHaveLength(2);
  });

  it('the same key signing twice counts once; listing a key twice counts once', async () => {
    const a = await makeSigner('ed25519');
    const jws = await toJwsGeneral(utf8('x'), [a.signer, a.signer]);
    expect(await codeOf(verifyJws(jws, { keys: [a.key], threshold: 2, algorithms: ['EdDSA'] }))).toBe('ERR_THRESHOLD_NOT_MET');
    expect(await codeOf(verifyJws(jws, { keys: [a.key, a.key], threshold: 2, algorithms: ['EdDSA'] }))).toBe('ERR_THRESHOLD_NOT_MET');
    expect((await verifyJws(jws, { keys: [a.key], algorithms: ['EdDSA'] })).signedBy).toEqual([a.key.keyId]);
  });

  it('a bad signature never counts; lying kids do not matter', async () => {
    const a = await makeSigner('ed25519');
    const b = await makeSigner('p256');
    const keys = [a.key, b.key];
    const jws = await toJwsGeneral(utf8('x'), [a.signer, b.signer]);
    const broken: GeneralJws = structuredClone(jws);
    const sig = Buffer.from(broken.signatures[1]!.signature, 'base64url');
    sig[3]! ^= 0x80;
    broken.signatures[1]!.signature = sig.toString('base64url');
    expect(await codeOf(verifyJws(broken, { keys, threshold: 2, algorithms: ALL }))).toBe('ERR_THRESHOLD_NOT_MET');
    expect((await verifyJws(broken, { keys, algorithms: ALL })).signedBy).toEqual([a.key.keyId]);
    // Swapped kids (protected, so signed), then kids only in the unprotected header.
    const swapped = await toJwsGeneral(utf8('x'), [a.signer], { kid: b.key.keyId });
    const swapped2 = await toJwsGeneral(utf8('x'), [b.signer], { kid: a.key.keyId });
    const mixed: GeneralJws = { payload: swapped.payload, signatures: [swapped.signatures[0]!, swapped2.signatures[0]!] };
    expect((await verifyJws(mixed, { keys, threshold: 2, algorithms: ALL })).signedBy).toHaveLength(2);
    const noKid = await toJwsGeneral(utf8('x'), [a.signer, b.signer], { kid: false });
    noKid.signatures[0]!.header = { kid: 'liar' };
    noKid.signatures[1]!.header = { kid: a.key.keyId };
    expect((await verifyJws(noKid, { keys, threshold: 2, algorithms: ALL })).signedBy).toHaveLength(2);
  });

  it("jose's GeneralSign output (an independent producer) verifies", async () => {
    const a = makeKeyObjects('ed25519');
    const b = makeKeyObjects('p384');
    const payload = utf8('{"from":"jose"}');
    const sign = new GeneralSign(payload);
    sign.addSignature(a.privateKey).setProtectedHeader({ alg: 'EdDSA' });
    sign.addSignature(b.privateKey).setProtectedHeader({ alg: 'ES384' });
    const jws = await sign.sign();
    const keys = [await importPublicKey(a.publicKey), await importPublicKey(b.publicKey)];
    const out = await verifyJws(jws as GeneralJws, { keys, threshold: 2, algorithms: ['EdDSA', 'ES384'] });
    expect(out.payload).toEqual(payload);
    const compact = await new CompactSign(payload).setProtectedHeader({ alg: 'ES384' }).sign(b.privateKey);
    expect((await verifyJws(compact, { keys, algorithms: ['ES384'] })).signedBy).toEqual([keys[1]!.keyId]);
  });
});

describe('the same record as DSSE and as JWS', () => {
  it('carries the same payload bytes and the same record id', async () => {
    const signers = await Promise.all((['ed25519', 'p256'] as const).map((c) => makeSigner(c)));
    const keys = signers.map((s) => s.key);
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'model.safetensors', digest: { sha256: '9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c' } }],
      predicateType: 'https://provenant.dev/model/v1',
      predicate: { name: 'tiny', version: '1.0.0', note: 'ünïcödé and "quotes"' },
    };
    const payload = canonicalJsonBytes(statement);
    const envelope = await signEnvelope('application/vnd.in-toto+json', payload, signers.map((s) => s.signer));
    const jws = await toJwsGeneral(payload, signers.map((s) => s.signer), { cty: 'application/vnd.in-toto+json' });
    const fromDsse = verifyEnvelope(parseEnvelope(JSON.stringify(envelope)), { keys, threshold: 2, payloadType: 'application/vnd.in-toto+json' });
    const fromJws = await verifyJws(JSON.stringify(jws), { keys, threshold: 2, algorithms: ['EdDSA', 'ES256'], contentType: 'application/vnd.in-toto+json' });
    expect(Buffer.from(fromJws.payload).equals(Buffer.from(fromDsse.payload))).toBe(true);
    expect(Buffer.from(fromJws.payload).equals(Buffer.from(payload))).toBe(true);
    expect(recordId(fromJws.payload).toString()).toBe(recordId(fromDsse.payload).toString());
    // Tampering with the JWS payload (one byte of the statement) fails.
    const tampered = { ...jws, payload: base64url.encode(canonicalJsonBytes({ ...statement, predicateType: 'https://provenant.dev/dataset/v1' })) };
    expect(await codeOf(verifyJws(tampered, { keys, threshold: 1, algorithms: ['EdDSA', 'ES256'] }))).toBe('ERR_SIGNATURE_INVALID');
    expect(await codeOf(verifyJws(tampered, { keys, threshold: 2, algorithms: ['EdDSA', 'ES256'] }))).toBe('ERR_THRESHOLD_NOT_MET');
  });
});

describe('algorithms', () => {
  it('the caller must name accepted algorithms; none, HS* and unknown ones are programmer errors', async () => {
    const { signer, key } = await makeSigner('ed25519');
    const jws = await toJwsCompact(utf8('x'), signer);
    for (const algorithms of [[], ['none'], ['HS256'], ['RS256'], ['EdDSA', 'HS512'], undefined]) {
      await expect(verifyJws(jws, { keys: [key], algorithms } as unknown as VerifyJwsOptions)).rejects.toThrow(TypeError);
    }
    expect([...JWS_ALGORITHMS]).toEqual(['EdDSA', 'ES256', 'ES384', 'ES512']);
  });

  it("alg 'none' and HS256 (with the public key as the secret) give ERR_ALGORITHM_NOT_ALLOWED", async () => {
    const { key } = await makeSigner('p256');
    const payload = base64url.encode('{"approved":true}');
    const none = `${base64url.encode('{"alg":"none"}')}.${payload}.`;
    expect(await codeOf(verifyJws(none, { keys: [key], algorithms: ALL }))).toBe('ERR_ALGORITHM_NOT_ALLOWED');
    const hs = await new CompactSign(utf8('{"approved":true}'))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(utf8(key.pem));
    expect(await codeOf(verifyJws(hs, { keys: [key], algorithms: ALL }))).toBe('ERR_ALGORITHM_NOT_ALLOWED');
  });

  it('an algorithm the caller did not accept does not count', async () => {
    const { signer, key } = await makeSigner('p384');
    const jws = await toJwsCompact(utf8('x'), signer);
    expect(await codeOf(verifyJws(jws, { keys: [key], algorithms: ['ES256', 'EdDSA'] }))).toBe('ERR_ALGORITHM_NOT_ALLOWED');
    expect((await verifyJws(jws, { keys: [key], algorithms: ['ES384'] })).signedBy).toEqual([key.keyId]);
  });

  it('an alg that does not match the key never counts', async () => {
    // A P-256 key signs with SHA-384 and claims ES384: only ES384/P-384 or ES256/P-256 are pairs.
    const { privateKey } = makeKeyObjects('p256');
    const key = await importPublicKey(privateKey);
    const h = base64url.encode('{"alg":"ES384"}');
    const p = base64url.encode('x');
    const s = base64url.encode(nodeSign('sha384', Buffer.from(`${h}.${p}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    expect(await codeOf(verifyJws(`${h}.${p}.${s}`, { keys: [key], algorithms: ALL }))).toBe('ERR_SIGNATURE_INVALID');
    // An Ed25519 signature labelled ES256.
    const ed = await makeSigner('ed25519');
    const edJws = await toJwsCompact(utf8('x'), ed.signer);
    const [, ep, es] = segments(edJws);
    const relabelled = `${base64url.encode('{"alg":"ES256"}')}.${ep}.${es}`;
    expect(await codeOf(verifyJws(relabelled, { keys: [ed.key, key], algorithms: ALL }))).toBe('ERR_SIGNATURE_INVALID');
  });

  it('alg only in the unprotected header does not count', async () => {
    const { signer, key } = await makeSigner('ed25519');
    const jws = await toJwsGeneral(utf8('x'), [signer], { kid: false });
    // Re-sign with an empty protected header so only the unprotected header names alg.
    const h = base64url.encode('{}');
    const sig = await signer.sign(utf8(`${h}.${jws.payload}`));
    const unprotected: GeneralJws = { payload: jws.payload, signatures: [{ protected: h, header: { alg: 'EdDSA' }, signature: base64url.encode(sig) }] };
    expect(await codeOf(verifyJws(unprotected, { keys: [key], algorithms: ['EdDSA'] }))).toBe('ERR_ALGORITHM_NOT_ALLOWED');
  });

  it('unencoded payloads (b64: false) are refused', async () => {
    const { privateKey, publicKey } = makeKeyObjects('ed25519');
    const key = await importPublicKey(publicKey);
    // "abcd" is also valid base64url: with b64 it would mean three other bytes.
    const flattened = await new FlattenedSign(utf8('abcd'))
      .setProtectedHeader({ alg: 'EdDSA', b64: false, crit: ['b64'] })
      .sign(privateKey);
    // jose detaches the payload; attached, jose accepts it (as the raw bytes). We refuse, so a payload means one thing.
    const input = { payload: 'abcd', protected: flattened.protected!, signature: flattened.signature };
    expect((await flattenedVerify(input, publicKey, { algorithms: ['EdDSA'] })).payload).toEqual(utf8('abcd'));
    expect(await codeOf(verifyJws(input, { keys: [key], algorithms: ['EdDSA'] }))).toBe('ERR_SIGNATURE_INVALID');
  });

  it('a wrong cty gives ERR_PAYLOAD_TYPE', async () => {
    const { signer, key } = await makeSigner('ed25519');
    const jws = await toJwsCompact(utf8('x'), signer, { cty: 'text/plain' });
    expect(await codeOf(verifyJws(jws, { keys: [key], algorithms: ['EdDSA'], contentType: 'application/vnd.in-toto+json' }))).toBe('ERR_PAYLOAD_TYPE');
    expect((await verifyJws(jws, { keys: [key], algorithms: ['EdDSA'], contentType: 'text/plain' })).signedBy).toEqual([key.keyId]);
  });
});

describe('hostile input', () => {
  it('malformed JWS give ERR_MALFORMED', async () => {
    const { signer, key } = await makeSigner('ed25519');
    const jws = await toJwsCompact(utf8('{"a":1}'), signer);
    const [h, p, s] = segments(jws);
    const cases: unknown[] = [
      `${h}.${p}`,
      `${h}.${p}.${s}.extra`,
      `${h}.${p}=.${s}`, // padding
      `${h}.${p.slice(0, -1)}+.${s}`, // standard alphabet
      `${h}.${p}.${s.slice(0, -1)}`, // truncated signature (bad length mod 4 or trailing bits)
      `${base64url.encode('not json')}.${p}.${s}`,
      `${base64url.encode('{"alg":"EdDSA","alg":"ES256"}')}.${p}.${s}`, // duplicate member
      `${base64url.encode('["EdDSA"]')}.${p}.${s}`,
      '{"payload":1,"signatures":[]}',
      `{"payload":"${p}","signatures":[]}`,
      `{"payload":"${p}","signatures":{}}`,
      `{"payload":"${p}","signatures":[{"protected":"${h}","signature":"${s}"}],"signature":"${s}"}`,
      `{"payload":"${p}","signatures":[{"signature":"${s}","header":{"alg":"EdDSA"}}]}`,
      `{"payload":"${p}","protected":"${h}","signature":"${s}","header":[]}`,
      '[]',
      'null',
      '{"__proto__":{}}',
    ];
    for (const input of cases) {
      expect(await codeOf(verifyJws(input as string, { keys: [key], algorithms: ['EdDSA'] })), String(input)).toBe('ERR_MALFORMED');
    }
  });

  it('size and signature-count limits give ERR_LIMIT_EXCEEDED', async () => {
    const { signer, key } = await makeSigner('ed25519');
    const jws = await toJwsGeneral(utf8('x'.repeat(1000)), [signer, signer, signer]);
    expect(await codeOf(verifyJws(jws, { keys: [key], algorithms: ['EdDSA'], maxSignatures: 2 }))).toBe('ERR_LIMIT_EXCEEDED');
    expect(await codeOf(verifyJws(jws, { keys: [key], algorithms: ['EdDSA'], maxBytes: 500 }))).toBe('ERR_LIMIT_EXCEEDED');
    expect(await codeOf(verifyJws(JSON.stringify(jws), { keys: [key], algorithms: ['EdDSA'], maxBytes: 500 }))).toBe('ERR_LIMIT_EXCEEDED');
    expect((await verifyJws(jws, { keys: [key], algorithms: ['EdDSA'] })).signedBy).toEqual([key.keyId]);
  });

  it('a threshold above the trusted keys fails; a threshold below 1 is a RangeError', async () => {
    const { signer, key } = await makeSigner('ed25519');
    const jws = await toJwsCompact(utf8('x'), signer);
    expect(await codeOf(verifyJws(jws, { keys: [key], threshold: 2, algorithms: ['EdDSA'] }))).toBe('ERR_THRESHOLD_NOT_MET');
    expect(await codeOf(verifyJws(jws, { keys: [], algorithms: ['EdDSA'] }))).toBe('ERR_SIGNATURE_INVALID');
    await expect(verifyJws(jws, { keys: [key], threshold: 0, algorithms: ['EdDSA'] })).rejects.toThrow(RangeError);
  });
});

describe('signers', () => {
  it('a KMS returning raw r||s works; a signer using the wrong key is caught at signing', async () => {
    const { privateKey, publicKey } = makeKeyObjects('p384');
    const key = await importPublicKey(publicKey);
    const p1363: Signer = {
      publicKey: key,
      sign: async (data) => new Uint8Array(nodeSign('sha384', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
    };
    const jws = await toJwsCompact(utf8('kms'), p1363);
    expect((await verifyJws(jws, { keys: [key], algorithms: ['ES384'] })).signedBy).toEqual([key.keyId]);
    const other = makeKeyObjects('p384');
    const wrong: Signer = { publicKey: key, sign: async (data) => new Uint8Array(nodeSign('sha384', data, other.privateKey)) };
    expect(await codeOf(toJwsCompact(utf8('kms'), wrong))).toBe('ERR_SIGNATURE_INVALID');
    const garbage: Signer = { publicKey: key, sign: async () => new Uint8Array([1, 2, 3]) };
    expect(await codeOf(toJwsCompact(utf8('kms'), garbage))).toBe('ERR_MALFORMED');
    await expect(toJwsGeneral(utf8('x'), [])).rejects.toThrow(TypeError);
  });

  it('toJwsCompact copies the payload before the signer runs', async () => {
    const { signer, key } = await makeSigner('ed25519');
    const payload = utf8('original');
    const slow: Signer = {
      publicKey: key,
      sign: async (data) => {
        await new Promise((r) => setTimeout(r, 5));
        return signer.sign(data);
      },
    };
    const pending = toJwsCompact(payload, slow);
    payload.fill(0x41);
    const out = await verifyJws(await pending, { keys: [key], algorithms: ['EdDSA'] });
    expect(new TextDecoder().decode(out.payload)).toBe('original');
  });
});

describe('DER ECDSA signatures', () => {
  it("node:crypto's DER signatures convert to raw and back, byte for byte", async () => {
    for (const [curve, size, hash] of [
      ['P-256', 32, 'sha256'],
      ['P-384', 48, 'sha384'],
      ['P-521', 66, 'sha512'],
    ] as const) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      for (let i = 0; i < 30; i++) {
        const data = utf8(`message ${i}`);
        const der = new Uint8Array(nodeSign(hash, data, privateKey));
        const raw = derToRawEcdsa(der, size);
        expect(raw.length).toBe(2 * size);
        expect(nodeVerify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
        expect(rawToDerEcdsa(raw, size)).toEqual(der);
      }
    }
  });

  it('raw -> DER -> raw is the identity for every r, s (fast-check)', () => {
    for (const size of [32, 48, 66]) {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 2 * size, maxLength: 2 * size }), (raw) => {
          const der = rawToDerEcdsa(raw, size);
          expect(derToRawEcdsa(der, size)).toEqual(raw);
        }),
        { numRuns: 300 },
      );
      // Edge values: zeros, leading zero bytes, high bits set.
      for (const fill of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
        const raw = new Uint8Array(2 * size).fill(fill);
        expect(derToRawEcdsa(rawToDerEcdsa(raw, size), size)).toEqual(raw);
      }
    }
  });

  it('P-521 signatures use the long-form SEQUENCE length', () => {
    const raw = new Uint8Array(132).fill(0xff);
    const der = rawToDerEcdsa(raw, 66);
    expect([...der.subarray(0, 3)]).toEqual([0x30, 0x81, der.length - 3]);
  });

  it('rejects non-DER and non-minimal encodings', () => {
    const ok = Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]);
    expect([...derToRawEcdsa(ok, 32)].filter((b) => b !== 0)).toEqual([1, 2]);
    const bad: [string, number[]][] = [
      ['wrong tag', [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]],
      ['wrong length', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]],
      ['trailing byte', [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00]],
      ['trailing inside', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00]],
      ['non-minimal long form', [0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]],
      ['negative r', [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x02]],
      ['padded r', [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x02]],
      ['empty s', [0x30, 0x05, 0x02, 0x01, 0x01, 0x02, 0x00]],
      ['s not INTEGER', [0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x02]],
      ['truncated s', [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x02, 0x02]],
      ['too short', [0x30, 0x00]],
      ['r longer than the curve', [0x30, 0x25, 0x02, 0x21, 0x01, ...new Array<number>(32).fill(1), 0x02, 0x01, 0x02]],
    ];
    for (const [label, bytes] of bad) {
      expect(() => derToRawEcdsa(Uint8Array.from(bytes), 32), label).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED' }));
    }
    expect(() => derToRawEcdsa(ok, 0)).toThrow(RangeError);
    expect(() => rawToDerEcdsa(new Uint8Array(63), 32)).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED' }));
  });
});
