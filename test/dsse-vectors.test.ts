/**
 * The DSSE vectors in ../shared/vectors/attestation/dsse/ (README section
 * "dsse/"): the spec's hello-world (raw r||s P-256 signature) and the derived
 * tampering and M-of-N cases must each give their documented answer. Plus the
 * envelope rules the vectors do not cover: both base64 alphabets, hostile
 * base64, bad signatures, lying keyid hints, impossible thresholds.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importPublicKey, importSigner, type PublicKey } from '../src/envelope/keys.js';
import { pae } from '../src/envelope/pae.js';
import { parseEnvelope } from '../src/envelope/parse.js';
import { signEnvelope } from '../src/envelope/sign.js';
import type { Envelope } from '../src/envelope/types.js';
import { verifyEnvelope } from '../src/envelope/verify.js';
import { utf8 } from '../src/lib/bytes.js';

const here = dirname(fileURLToPath(import.meta.url));
const VECTORS = resolve(here, '../../shared/vectors');
const DSSE = join(VECTORS, 'attestation/dsse');
const HAVE_DSSE = existsSync(join(DSSE, 'hello-world.envelope.json'));
if (!HAVE_DSSE) console.warn(`skipping DSSE vector tests: ${DSSE} is absent (the shared vectors are not checked out)`);

const read = (name: string): string => readFileSync(join(DSSE, name), 'utf8');

/** Run `fn`, expect a throw, and return the error's `code`. */
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  throw new Error('expected a throw, got none');
}

/** The keys of derived-multisig-keys.json: `[{ keyid, spkiPem }]`, keyid = sha256 of the raw key (not ours). */
async function multisigKeys(): Promise<PublicKey[]> {
  const list = JSON.parse(read('derived-multisig-keys.json')) as { keyid: string; spkiPem: string }[];
  expect(list).toHaveLength(3);
  return Promise.all(list.map((k) => importPublicKey(k.spkiPem)));
}

/** Base64 (standard) to URL-safe, optionally without padding. */
function toUrlSafe(b64: string, pad: boolean): string {
  const url = b64.replace(/\+/g, '-').replace(/\//g, '_');
  return pad ? url : url.replace(/=+$/, '');
}

describe.skipIf(!HAVE_DSSE)('DSSE vectors', () => {
  it('hello-world: PAE equals hello-world.pae.txt byte for byte', () => {
    const expected = readFileSync(join(DSSE, 'hello-world.pae.txt'));
    const parsed = parseEnvelope(read('hello-world.envelope.json'));
    const ours = pae(parsed.payloadType, parsed.payload);
    expect(Buffer.from(ours).equals(expected)).toBe(true);
    expect(Buffer.from(ours).toString('latin1')).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  it('hello-world: valid with the PEM key and with the JWK key (raw r||s signature)', async () => {
    const parsed = parseEnvelope(read('hello-world.envelope.json'));
    expect(parsed.signatures[0]?.sig.length).toBe(64); // IEEE P1363, not DER
    const fromPem = await importPublicKey(read('hello-world.pub.pem'));
    const fromJwk = await importPublicKey(read('hello-world.pub.jwk.json'));
    expect(fromPem.algorithm).toBe('p256');
    expect(fromJwk.keyId).toBe(fromPem.keyId);
    for (const key of [fromPem, fromJwk]) {
      const out = verifyEnvelope(parsed, { keys: [key], threshold: 1, payloadType: 'http://example.com/HelloWorld' });
      expect(new TextDecoder().decode(out.payload)).toBe('hello world');
      expect(out.signedBy).toEqual([key.keyId]);
    }
  });

  it('derived-tampered-payload and derived-tampered-payloadtype: invalid', async () => {
    const key = await importPublicKey(read('hello-world.pub.pem'));
    for (const name of ['derived-tampered-payload.envelope.json', 'derived-tampered-payloadtype.envelope.json']) {
      const parsed = parseEnvelope(read(name));
      expect(codeOf(() => verifyEnvelope(parsed, { keys: [key] })), name).toBe('ERR_SIGNATURE_INVALID');
    }
  });

  it('derived-multisig-2of3-valid: valid at threshold 2, not at 3', async () => {
    const keys = await multisigKeys();
    const parsed = parseEnvelope(read('derived-multisig-2of3-valid.envelope.json'));
    const out = verifyEnvelope(parsed, { keys, threshold: 2, payloadType: 'application/vnd.in-toto+json' });
    expect(out.signedBy).toHaveLength(2);
    expect(new Set(out.signedBy)).toEqual(new Set([keys[0]!.keyId, keys[2]!.keyId]));
    expect(codeOf(() => verifyEnvelope(parsed, { keys, threshold: 3 }))).toBe('ERR_THRESHOLD_NOT_MET');
  });

  it('derived-multisig-2of3-duplicate-key_fail: the same key twice counts once', async () => {
    const keys = await multisigKeys();
    const parsed = parseEnvelope(read('derived-multisig-2of3-duplicate-key_fail.envelope.json'));
    expect(codeOf(() => verifyEnvelope(parsed, { keys, threshold: 2 }))).toBe('ERR_THRESHOLD_NOT_MET');
    // Listing the trusted key twice does not make it count twice either.
    const twice = [keys[1]!, keys[1]!];
    expect(codeOf(() => verifyEnvelope(parsed, { keys: twice, threshold: 2 }))).toBe('ERR_THRESHOLD_NOT_MET');
    expect(verifyEnvelope(parsed, { keys, threshold: 1 }).signedBy).toEqual([keys[1]!.keyId]);
  });

  it('derived-multisig-2of3-one-bad-sig_fail: 1 of 2, invalid', async () => {
    const keys = await multisigKeys();
    const parsed = parseEnvelope(read('derived-multisig-2of3-one-bad-sig_fail.envelope.json'));
    expect(codeOf(() => verifyEnvelope(parsed, { keys, threshold: 2 }))).toBe('ERR_THRESHOLD_NOT_MET');
    expect(verifyEnvelope(parsed, { keys, threshold: 1 }).signedBy).toEqual([keys[0]!.keyId]);
  });

  it('accepts URL-safe base64, padded or not, and gives the same bytes', async () => {
    const key = await importPublicKey(read('hello-world.pub.pem'));
    const std = JSON.parse(read('hello-world.envelope.json')) as Envelope;
    expect(std.signatures[0]!.sig).toMatch(/[+/]/); // the vector really exercises the alphabet difference
    for (const pad of [true, false]) {
      const url: Envelope = {
        payload: toUrlSafe(std.payload, pad),
        payloadType: std.payloadType,
        signatures: std.signatures.map((s) => ({ ...s, sig: toUrlSafe(s.sig, pad) })),
      };
      const parsed = parseEnvelope(JSON.stringify(url));
      expect(parsed.payload).toEqual(utf8('hello world'));
      expect(verifyEnvelope(parsed, { keys: [key] }).signedBy).toEqual([key.keyId]);
    }
  });

  it('rejects non-base64 payloads and signatures with ERR_MALFORMED', () => {
    const std = JSON.parse(read('hello-world.envelope.json')) as Envelope;
    const sig = std.signatures[0]!.sig;
    const cases: Envelope[] = [
      { ...std, payload: 'aGVsbG8gd29ybGQ=!' },
      { ...std, payload: 'aGVsbG8*d29ybGQ=' },
      { ...std, payload: 'aGVsbG8gd29ybGQ' + '===' },
      { ...std, payload: 'aGVsbG8gd29ybGR=' }, // non-canonical trailing bits
      { ...std, payload: 'aGVsbG8-d29y/GQ=' }, // both alphabets at once
      { ...std, signatures: [{ sig: sig.slice(0, -2) + '!!' }] },
      { ...std, signatures: [{ sig: '' }] },
      { ...std, signatures: [{ sig: ' ' + sig }] },
    ];
    for (const env of cases) {
      expect(codeOf(() => parseEnvelope(JSON.stringify(env))), JSON.stringify(env)).toBe('ERR_MALFORMED');
    }
  });

  it('a bad signature never counts, even under the right keyid', async () => {
    const signers = await Promise.all(
      ['ed25519', 'ec'].map((t) =>
        importSigner(t === 'ed25519' ? generateKeyPairSync('ed25519').privateKey : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
      ),
    );
    const keys = signers.map((s) => s.publicKey);
    const payload = utf8('{"a":1}');
    const env = await signEnvelope('application/json', payload, signers);
    // Flip one bit of the second signature; keep its (true) keyid hint.
    const bad = Buffer.from(env.signatures[1]!.sig, 'base64');
    bad[bad.length - 5]! ^= 0x01;
    const broken: Envelope = { ...env, signatures: [env.signatures[0]!, { ...env.signatures[1]!, sig: bad.toString('base64') }] };
    expect(verifyEnvelope(parseEnvelope(JSON.stringify(env)), { keys, threshold: 2 }).signedBy).toHaveLength(2);
    const parsed = parseEnvelope(JSON.stringify(broken));
    expect(codeOf(() => verifyEnvelope(parsed, { keys, threshold: 2 }))).toBe('ERR_THRESHOLD_NOT_MET');
    expect(verifyEnvelope(parsed, { keys, threshold: 1 }).signedBy).toEqual([keys[0]!.keyId]);
    // Only the bad signature, only its key trusted: nothing verifies.
    const alone = parseEnvelope(JSON.stringify({ ...broken, signatures: [broken.signatures[1]] }));
    expect(codeOf(() => verifyEnvelope(alone, { keys: [keys[1]!] }))).toBe('ERR_SIGNATURE_INVALID');
  });

  it('keyid hints that lie do not matter', async () => {
    const keys = await multisigKeys();
    const valid = JSON.parse(read('derived-multisig-2of3-valid.envelope.json')) as Envelope;
    const [k0, k1, k2] = [keys[0]!.keyId, keys[1]!.keyId, keys[2]!.keyId];
    const variants: Envelope['signatures'][] = [
      // swapped hints
      [
        { keyid: valid.signatures[1]!.keyid!, sig: valid.signatures[0]!.sig },
        { keyid: valid.signatures[0]!.keyid!, sig: valid.signatures[1]!.sig },
      ],
      // both name the same key (ours), one of which did not sign
      [
        { keyid: k1, sig: valid.signatures[0]!.sig },
        { keyid: k1, sig: valid.signatures[1]!.sig },
      ],
      // hints swapped in our own key-id scheme, and absent / null / empty
      [
        { keyid: k2, sig: valid.signatures[0]!.sig },
        { keyid: k0, sig: valid.signatures[1]!.sig },
      ],
      [{ sig: valid.signatures[0]!.sig }, { keyid: null, sig: valid.signatures[1]!.sig }],
      [{ keyid: '', sig: valid.signatures[0]!.sig }, { keyid: 'no-such-key', sig: valid.signatures[1]!.sig }],
    ];
    for (const signatures of variants) {
      const parsed = parseEnvelope(JSON.stringify({ ...valid, signatures }));
      expect(new Set(verifyEnvelope(parsed, { keys, threshold: 2 }).signedBy)).toEqual(new Set([k0, k2]));
    }
    // A hint naming a trusted key cannot make an untrusted signer's signature count.
    const outsider = await importSigner(generateKeyPairSync('ed25519').privateKey);
    const forged = await signEnvelope(valid.payloadType, parseEnvelope(JSON.stringify(valid)).payload, [outsider], { keyid: k1 });
    const parsed = parseEnvelope(JSON.stringify({ ...valid, signatures: [valid.signatures[0], forged.signatures[0]] }));
    expect(codeOf(() => verifyEnvelope(parsed, { keys, threshold: 2 }))).toBe('ERR_THRESHOLD_NOT_MET');
  });

  it('a threshold above the number of trusted keys fails with ERR_THRESHOLD_NOT_MET', async () => {
    const keys = await multisigKeys();
    const parsed = parseEnvelope(read('derived-multisig-2of3-valid.envelope.json'));
    expect(codeOf(() => verifyEnvelope(parsed, { keys, threshold: 4 }))).toBe('ERR_THRESHOLD_NOT_MET');
    expect(codeOf(() => verifyEnvelope(parsed, { keys: [keys[0]!], threshold: 2 }))).toBe('ERR_THRESHOLD_NOT_MET');
    const hello = parseEnvelope(read('hello-world.envelope.json'));
    expect(codeOf(() => verifyEnvelope(hello, { keys: [], threshold: 1 }))).toBe('ERR_SIGNATURE_INVALID');
    expect(() => verifyEnvelope(hello, { keys, threshold: 0 })).toThrow(RangeError);
  });

  it('a payloadType other than the expected one fails with ERR_PAYLOAD_TYPE', async () => {
    const key = await importPublicKey(read('hello-world.pub.pem'));
    const parsed = parseEnvelope(read('hello-world.envelope.json'));
    expect(codeOf(() => verifyEnvelope(parsed, { keys: [key], payloadType: 'application/vnd.in-toto+json' }))).toBe('ERR_PAYLOAD_TYPE');
  });
});
