/**
 * DSSE interop with Python securesystemslib, an independent implementation
 * (Debian's python3-securesystemslib 0.26, run with /usr/bin/python3, not
 * whatever `python3` is first on PATH). 0.26 has no DSSE module, so
 * test/interop/sslib_dsse.py computes the PAE itself and uses
 * securesystemslib's keys, signer and signature verification.
 *
 * (a) envelopes provenant signs verify in Python; (b) envelopes Python signs
 * verify in provenant. securesystemslib 0.26 verifies ECDSA P-384 but cannot
 * sign with it (its create_signature knows only nistp256), so P-384 is
 * checked in direction (a) only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, importPublicKey, importSigner, type PublicKey, type Signer } from '../src/envelope/keys.js';
import { pae } from '../src/envelope/pae.js';
import { parseEnvelope } from '../src/envelope/parse.js';
import { signEnvelope } from '../src/envelope/sign.js';
import type { Envelope } from '../src/envelope/types.js';
import { verifyEnvelope } from '../src/envelope/verify.js';
import { encodeBase64, utf8 } from '../src/lib/bytes.js';
import { canonicalJsonBytes } from '../src/lib/json.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'interop/sslib_dsse.py');

function sslibAvailable(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist`;
  const probe = spawnSync(PYTHON, ['-c', 'import securesystemslib.keys, securesystemslib.signer; print(securesystemslib.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) return `${PYTHON} cannot import securesystemslib (install python3-securesystemslib): ${probe.stderr.trim()}`;
  return undefined;
}
const UNAVAILABLE = sslibAvailable();
if (UNAVAILABLE) console.warn(`skipping securesystemslib interop tests: ${UNAVAILABLE}`);

type Scheme = 'ed25519' | 'ecdsa-sha2-nistp256' | 'ecdsa-sha2-nistp384';
const SCHEME_OF = { ed25519: 'ed25519', p256: 'ecdsa-sha2-nistp256', p384: 'ecdsa-sha2-nistp384' } as const;

interface VerifyAnswer {
  payloadType: string;
  payload: string;
  pae: string;
  keyids: string[];
  signatures: (number | null)[];
}
interface SignAnswer {
  envelope: Envelope;
  keys: { scheme: Scheme; keyid: string; pem?: string; jwk?: Record<string, string> }[];
  pae: string;
}

function python<T>(request: unknown): T {
  const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(request), encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`sslib_dsse.py failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

function sslibVerify(envelope: Envelope, keys: readonly PublicKey[]): VerifyAnswer {
  return python<VerifyAnswer>({
    op: 'verify',
    envelope,
    keys: keys.map((k) => {
      if (k.algorithm === 'p521') throw new Error('securesystemslib has no P-521 scheme');
      return { pem: k.pem, scheme: SCHEME_OF[k.algorithm] };
    }),
  });
}

function sslibSign(payloadType: string, payload: Uint8Array, schemes: readonly Scheme[]): SignAnswer {
  return python<SignAnswer>({ op: 'sign', payloadType, payload: encodeBase64(payload), schemes });
}

const STATEMENT = canonicalJsonBytes({
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: 'model.safetensors', digest: { sha256: '9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c' } }],
  predicateType: 'https://provenant.dev/dataset/v1',
  predicate: { name: 'corpus', version: '2', note: 'naïve — “quoted”' }, // multi-byte UTF-8: PAE lengths are bytes
});
const IN_TOTO = 'application/vnd.in-toto+json';

describe.skipIf(UNAVAILABLE !== undefined)('securesystemslib interop', () => {
  async function signers(): Promise<Signer[]> {
    return Promise.all((['ed25519', 'p256', 'p384'] as const).map((a) => importSigner(generateKeyPair(a).privateKeyPem)));
  }

  it('(a) envelopes provenant signs (Ed25519, P-256, P-384) verify in securesystemslib', async () => {
    const all = await signers();
    for (const signer of all) {
      const env = await signEnvelope(IN_TOTO, STATEMENT, [signer]);
      const answer = sslibVerify(env, [signer.publicKey]);
      expect(answer.signatures, signer.publicKey.algorithm).toEqual([0]);
      // Python's PAE is ours, byte for byte, and so is its reading of the payload.
      expect(Buffer.from(answer.pae, 'base64')).toEqual(Buffer.from(pae(IN_TOTO, STATEMENT)));
      expect(Buffer.from(answer.payload, 'base64')).toEqual(Buffer.from(STATEMENT));
      // securesystemslib key ids are its own (not RFC 7638); keyid is only a hint.
      expect(answer.keyids[0]).not.toBe(signer.publicKey.keyId);
    }
  });

  it('(a) a multi-signature envelope: securesystemslib attributes each signature to its key', async () => {
    const all = await signers();
    const env = await signEnvelope(IN_TOTO, STATEMENT, all);
    // Keys listed in another order than the signatures, plus an unrelated key.
    const stranger = (await importSigner(generateKeyPair('ed25519').privateKeyPem)).publicKey;
    const keys = [all[2]!.publicKey, stranger, all[0]!.publicKey, all[1]!.publicKey];
    expect(sslibVerify(env, keys).signatures).toEqual([2, 3, 0]);
  });

  it('(a) tampering with the payload or payloadType fails in securesystemslib', async () => {
    const all = await signers();
    const env = await signEnvelope(IN_TOTO, STATEMENT, all);
    const keys = all.map((s) => s.publicKey);
    const tamperedPayload = { ...env, payload: encodeBase64(utf8(new TextDecoder().decode(STATEMENT).replace('corpus', 'corpse'))) };
    const tamperedType = { ...env, payloadType: 'application/vnd.in-toto+jsoN' };
    expect(sslibVerify(tamperedPayload, keys).signatures).toEqual([null, null, null]);
    expect(sslibVerify(tamperedType, keys).signatures).toEqual([null, null, null]);
    // Someone else's key does not verify either.
    const others = (await signers()).map((s) => s.publicKey);
    expect(sslibVerify(env, others).signatures).toEqual([null, null, null]);
  });

  it('(a) raw r||s ECDSA signatures (as in the DSSE spec vector) are also accepted by provenant, not by sslib', async () => {
    // Documents the one encoding difference: securesystemslib verifies ECDSA as DER only.
    const { createPrivateKey, sign } = await import('node:crypto');
    const pair = generateKeyPair('p256');
    const key = await importPublicKey(pair.publicKeyPem);
    const p1363: Signer = {
      publicKey: key,
      sign: async (data) => new Uint8Array(sign('sha256', data, { key: createPrivateKey(pair.privateKeyPem), dsaEncoding: 'ieee-p1363' })),
    };
    const env = await signEnvelope(IN_TOTO, STATEMENT, [p1363]);
    expect(verifyEnvelope(parseEnvelope(env), { keys: [key] }).signedBy).toEqual([key.keyId]);
    expect(sslibVerify(env, [key]).signatures).toEqual([null]);
  });

  it('(b) envelopes securesystemslib signs (Ed25519, P-256) verify with provenant', async () => {
    for (const scheme of ['ed25519', 'ecdsa-sha2-nistp256'] as const) {
      const answer = sslibSign(IN_TOTO, STATEMENT, [scheme]);
      expect(Buffer.from(answer.pae, 'base64')).toEqual(Buffer.from(pae(IN_TOTO, STATEMENT)));
      const info = answer.keys[0]!;
      const key = await importPublicKey(info.jwk ?? info.pem!);
      expect(key.algorithm).toBe(scheme === 'ed25519' ? 'ed25519' : 'p256');
      const sig = Buffer.from(answer.envelope.signatures[0]!.sig, 'base64');
      if (scheme !== 'ed25519') expect(sig[0]).toBe(0x30); // securesystemslib's ECDSA signatures are DER
      // The envelope's keyid is securesystemslib's, not ours: a hint that matches none of our keys.
      expect(answer.envelope.signatures[0]!.keyid).toBe(info.keyid);
      expect(info.keyid).not.toBe(key.keyId);
      const out = verifyEnvelope(parseEnvelope(JSON.stringify(answer.envelope)), { keys: [key], payloadType: IN_TOTO });
      expect(out.payload).toEqual(STATEMENT);
      expect(out.signedBy).toEqual([key.keyId]);
    }
  });

  it('(b) a 2-of-3 envelope from securesystemslib meets threshold 2, not 3; tampering fails', async () => {
    const answer = sslibSign(IN_TOTO, STATEMENT, ['ed25519', 'ecdsa-sha2-nistp256', 'ed25519']);
    const keys = await Promise.all(answer.keys.map((k) => importPublicKey(k.jwk ?? k.pem!)));
    const onlyTwo: Envelope = { ...answer.envelope, signatures: answer.envelope.signatures.slice(0, 2) };
    const parsed = parseEnvelope(JSON.stringify(onlyTwo));
    expect(new Set(verifyEnvelope(parsed, { keys, threshold: 2 }).signedBy)).toEqual(new Set([keys[0]!.keyId, keys[1]!.keyId]));
    expect(() => verifyEnvelope(parsed, { keys, threshold: 3 })).toThrow(expect.objectContaining({ code: 'ERR_THRESHOLD_NOT_MET' }));
    expect(verifyEnvelope(parseEnvelope(JSON.stringify(answer.envelope)), { keys, threshold: 3 }).signedBy).toHaveLength(3);
    const tampered = { ...answer.envelope, payloadType: 'application/json' };
    expect(() => verifyEnvelope(parseEnvelope(JSON.stringify(tampered)), { keys, threshold: 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_SIGNATURE_INVALID' }),
    );
  });

  it('(b) the same envelope round-trips: Python signs, provenant verifies, Python verifies provenant co-signature', async () => {
    const answer = sslibSign(IN_TOTO, STATEMENT, ['ecdsa-sha2-nistp256']);
    const pyKey = await importPublicKey(answer.keys[0]!.pem!);
    const ours = await importSigner(generateKeyPair('p384').privateKeyPem);
    const cosigned = await signEnvelope(IN_TOTO, parseEnvelope(JSON.stringify(answer.envelope)).payload, [ours]);
    const both: Envelope = { ...answer.envelope, signatures: [...answer.envelope.signatures, ...cosigned.signatures] };
    expect(new Set(verifyEnvelope(parseEnvelope(JSON.stringify(both)), { keys: [pyKey, ours.publicKey], threshold: 2 }).signedBy)).toEqual(
      new Set([pyKey.keyId, ours.publicKey.keyId]),
    );
    expect(sslibVerify(both, [pyKey, ours.publicKey]).signatures).toEqual([0, 1]);
  });
});
