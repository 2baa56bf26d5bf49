/**
 * Signing and verifying weights: round trips, and every way a verification
 * must fail (by stable code), including hostile statements we sign ourselves.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { hashModel, rootDigestOf } from '../src/digest/model.js';
import { assertContainedPath } from '../src/digest/paths.js';
import { generateKeyPair, importPublicKey, importSigner, type Signer } from '../src/envelope/keys.js';
import { signEnvelope } from '../src/envelope/sign.js';
import { encodeBase64, fromHex, toHex, utf8 } from '../src/lib/bytes.js';
import { AbortError, InputError, VerificationError } from '../src/lib/errors.js';
import { canonicalJsonBytes } from '../src/lib/json.js';
import { buildKeyBundle, IN_TOTO_PAYLOAD_TYPE } from '../src/records/oms/bundle.js';
import { signModel } from '../src/records/oms/sign-model.js';
import { OMS_PREDICATE_TYPE, STATEMENT_TYPE } from '../src/records/oms/statement.js';
import { verifyModel } from '../src/records/oms/verify-model.js';
import { cleanupTemp, expectCode, expectThrowCode, makeTemp } from './helpers.js';

afterAll(cleanupTemp);

async function newSigner(alg: 'ed25519' | 'p256' | 'p384' = 'ed25519'): Promise<Signer> {
  return importSigner(generateKeyPair(alg).privateKeyPem);
}

/** A small model: two top-level files and one in a subdirectory. */
async function makeModel(): Promise<string> {
  const dir = await makeTemp('provenant-model-');
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'a.bin'), randomBytes(3000));
  await writeFile(join(dir, 'b.bin'), randomBytes(100));
  await writeFile(join(dir, 'sub/c.json'), '{"c":1}');
  return dir;
}

/** Sign an arbitrary statement object into a key bundle (bytes). */
async function signStatement(statement: unknown, signer: Signer, payloadType = IN_TOTO_PAYLOAD_TYPE): Promise<Uint8Array> {
  const env = await signEnvelope(payloadType, canonicalJsonBytes(statement), [signer], { keyid: '' });
  return utf8(JSON.stringify(buildKeyBundle(env, signer.publicKey)));
}

/** A files-mode statement over `resources` with a correct root digest. */
function statementOf(resources: { name: string; digest: string }[], serialization: Record<string, unknown> = {}) {
  const root = rootDigestOf(resources.map((r) => fromHex(r.digest)!));
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: 'model', digest: { sha256: toHex(root) } }],
    predicateType: OMS_PREDICATE_TYPE,
    predicate: {
      serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false, ...serialization },
      resources: resources.map((r) => ({ ...r, algorithm: serialization.method === 'shards' ? `sha256-sharded-${serialization.shard_size}` : 'sha256' })),
    },
  };
}

const D = 'ab'.repeat(32);

describe('round trips', () => {
  it.each(['ed25519', 'p256', 'p384'] as const)('files mode with %s: sign writes MODEL/model.sig, verify accepts', async (alg) => {
    const model = await makeModel();
    const signer = await newSigner(alg);
    const signed = await signModel(model, { signer });
    expect(signed.signaturePath).toBe(join(model, 'model.sig'));
    expect(existsSync(join(model, 'model.sig'))).toBe(true);
    const ok = await verifyModel(model, { key: signer.publicKey });
    expect(ok.statement.resources.map((r) => r.name)).toEqual(['a.bin', 'b.bin', 'sub/c.json']);
    expect(ok.keyId).toBe(signer.publicKey.keyId);
    // The signature file itself is never part of the model.
    expect(ok.manifest.resources.some((r) => r.name === 'model.sig')).toBe(false);
  });

  it('shards mode with a small shard size round-trips and records shard_size', async () => {
    const model = await makeModel();
    const signer = await newSigner('p256');
    const signed = await signModel(model, { signer, method: 'shards', shardSize: 1000 });
    expect(signed.manifest.resources.map((r) => r.name)).toEqual([
      'a.bin:0:1000',
      'a.bin:1000:2000',
      'a.bin:2000:3000',
      'b.bin:0:100',
      'sub/c.json:0:7',
    ]);
    const ok = await verifyModel(model, { key: signer.publicKey });
    expect(ok.statement.method).toBe('shards');
    expect(ok.statement.shardSize).toBe(1000);
    // A changed size shows up once, as a different file (regression: a file
    // that grew or shrank by whole shards was reported as extra or missing).
    for (const size of [3001, 4000, 2000, 2500]) {
      await writeFile(join(model, 'a.bin'), randomBytes(size));
      const err = await expectCode(verifyModel(model, { key: signer.publicKey }), 'ERR_MODEL_MISMATCH');
      expect(err.details, `size ${size}`).toEqual(['different: a.bin']);
    }
  });

  it('a single-file model is named "." and signed to MODEL.sig', async () => {
    const dir = await makeTemp();
    const file = join(dir, 'weights.safetensors');
    await writeFile(file, randomBytes(500));
    const signer = await newSigner();
    const signed = await signModel(file, { signer });
    expect(signed.signaturePath).toBe(`${file}.sig`);
    expect(signed.manifest.resources.map((r) => r.name)).toEqual(['.']);
    expect(signed.manifest.modelName).toBe('weights.safetensors');
    await verifyModel(file, { key: signer.publicKey });
    await writeFile(file, randomBytes(500));
    const err = await expectCode(verifyModel(file, { key: signer.publicKey }), 'ERR_MODEL_MISMATCH');
    expect(err.details).toEqual(['different: .']);
  });

  it('a signature at a custom path inside the model is ignored on sign and verify', async () => {
    const model = await makeModel();
    const signer = await newSigner();
    const sig = join(model, 'sub', 'custom.sig');
    await signModel(model, { signer, signaturePath: sig });
    const ok = await verifyModel(model, { key: signer.publicKey, signature: sig });
    expect(ok.statement.ignorePaths).toContain('sub/custom.sig');
    expect(ok.statement.resources.map((r) => r.name)).not.toContain('sub/custom.sig');
  });

  it('user ignore paths are recorded and honoured on verify', async () => {
    const model = await makeModel();
    await writeFile(join(model, 'notes.txt'), 'scratch');
    const signer = await newSigner();
    await signModel(model, { signer, ignorePaths: ['notes.txt'] });
    await writeFile(join(model, 'notes.txt'), 'changed scratch');
    const ok = await verifyModel(model, { key: signer.publicKey });
    expect(ok.statement.ignorePaths).toEqual(['.git', '.gitattributes', '.github', '.gitignore', 'model.sig', 'notes.txt']);
  });
});

describe('verify failures, by code', () => {
  let model = '';
  let signer: Signer;
  let sigBytes: Uint8Array;
  beforeEach(async () => {
    model = await makeModel();
    signer = await newSigner('p256');
    await signModel(model, { signer });
    sigBytes = await readFile(join(model, 'model.sig'));
  });

  function bundleJson(): { mediaType: string; verificationMaterial: { publicKey: Record<string, unknown> }; dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] } } {
    return JSON.parse(new TextDecoder().decode(sigBytes));
  }

  it('wrong key of the same type: ERR_KEY_MISMATCH from the hint', async () => {
    const other = await importPublicKey(generateKeyPair('p256').publicKeyPem);
    const err = await expectCode(verifyModel(model, { key: other }), 'ERR_KEY_MISMATCH');
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as VerificationError).exitCode).toBe(1);
  });

  it('wrong key when the bundle does not name one: ERR_SIGNATURE_INVALID', async () => {
    const other = await importPublicKey(generateKeyPair('p256').publicKeyPem);
    const noHint = bundleJson();
    noHint.verificationMaterial.publicKey = {};
    await expectCode(verifyModel(model, { key: other, signature: utf8(JSON.stringify(noHint)) }), 'ERR_SIGNATURE_INVALID');
    // An older-style bundle whose rawBytes names the (wrong) verifying key.
    const rawOther = bundleJson();
    rawOther.verificationMaterial.publicKey = { rawBytes: encodeBase64(utf8(other.pem)) };
    await expectCode(verifyModel(model, { key: other, signature: utf8(JSON.stringify(rawOther)) }), 'ERR_SIGNATURE_INVALID');
    // The right key still verifies the hint-less bundle.
    await verifyModel(model, { key: signer.publicKey, signature: utf8(JSON.stringify(noHint)) });
  });

  it('tampered payload: ERR_SIGNATURE_INVALID', async () => {
    const b = bundleJson();
    const payload = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8'));
    payload.predicate.resources[0].digest = D;
    b.dsseEnvelope.payload = encodeBase64(canonicalJsonBytes(payload));
    await expectCode(verifyModel(model, { key: signer.publicKey, signature: utf8(JSON.stringify(b)) }), 'ERR_SIGNATURE_INVALID');
  });

  it('tampered signature bytes: ERR_SIGNATURE_INVALID', async () => {
    const b = bundleJson();
    const sig = Buffer.from(b.dsseEnvelope.signatures[0]!.sig, 'base64');
    sig[sig.length - 1]! ^= 1;
    b.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
    await expectCode(verifyModel(model, { key: signer.publicKey, signature: utf8(JSON.stringify(b)) }), 'ERR_SIGNATURE_INVALID');
  });

  it('changed payloadType: ERR_PAYLOAD_TYPE', async () => {
    const b = bundleJson();
    b.dsseEnvelope.payloadType = 'application/json';
    await expectCode(verifyModel(model, { key: signer.publicKey, signature: utf8(JSON.stringify(b)) }), 'ERR_PAYLOAD_TYPE');
  });

  it('unknown bundle mediaType: ERR_UNKNOWN_MEDIA_TYPE', async () => {
    for (const mediaType of ['application/vnd.dev.sigstore.bundle.v0.1+json', 'text/plain', undefined]) {
      const b = bundleJson() as Record<string, unknown>;
      if (mediaType === undefined) delete b.mediaType;
      else b.mediaType = mediaType;
      await expectCode(verifyModel(model, { key: signer.publicKey, signature: utf8(JSON.stringify(b)) }), 'ERR_UNKNOWN_MEDIA_TYPE');
    }
  });

  it('truncated or malformed signature files: ERR_MALFORMED (exit 2)', async () => {
    const cases: Uint8Array[] = [
      sigBytes.subarray(0, Math.floor(sigBytes.length / 2)),
      sigBytes.subarray(0, 1),
      new Uint8Array(0),
      utf8('not json at all'),
      utf8('[]'),
      utf8('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}'),
      new Uint8Array([0xff, 0xfe, 0x00, 0x7b]),
    ];
    const b1 = bundleJson();
    b1.dsseEnvelope.signatures[0]!.sig = '!!!not-base64!!!';
    cases.push(utf8(JSON.stringify(b1)));
    const b2 = bundleJson();
    b2.dsseEnvelope.signatures = [];
    cases.push(utf8(JSON.stringify(b2)));
    const b3 = bundleJson();
    b3.dsseEnvelope.payload = 'a';
    cases.push(utf8(JSON.stringify(b3)));
    // Duplicate keys are refused rather than silently resolved.
    cases.push(utf8(new TextDecoder().decode(sigBytes).replace('{"mediaType"', '{"mediaType":"x","mediaType"')));
    for (const signature of cases) {
      const err = await expectCode(verifyModel(model, { key: signer.publicKey, signature }), 'ERR_MALFORMED');
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).exitCode).toBe(2);
    }
  });

  it('modified, missing and extra files: ERR_MODEL_MISMATCH naming each file', async () => {
    await writeFile(join(model, 'a.bin'), randomBytes(3000));
    await rm(join(model, 'b.bin'));
    await writeFile(join(model, 'sub/new.bin'), 'new');
    const err = await expectCode(verifyModel(model, { key: signer.publicKey }), 'ERR_MODEL_MISMATCH');
    expect(err.details).toEqual(['missing: b.bin', 'extra: sub/new.bin', 'different: a.bin']);
    for (const name of ['a.bin', 'b.bin', 'sub/new.bin']) expect(err.message).toContain(name);
  });

  it('a signature over a different model: ERR_MODEL_MISMATCH', async () => {
    const other = await makeModel();
    const err = await expectCode(
      verifyModel(other, { key: signer.publicKey, signature: join(model, 'model.sig') }),
      'ERR_MODEL_MISMATCH',
    );
    expect(err.details).toEqual(['different: a.bin', 'different: b.bin']);
  });

  it('ignoreUnsignedFiles accepts an extra file, still rejects a modified one', async () => {
    await writeFile(join(model, 'extra.bin'), 'x');
    await expectCode(verifyModel(model, { key: signer.publicKey }), 'ERR_MODEL_MISMATCH');
    const ok = await verifyModel(model, { key: signer.publicKey, ignoreUnsignedFiles: true });
    expect(ok.manifest.resources.map((r) => r.name)).toEqual(['a.bin', 'b.bin', 'sub/c.json']);
    await writeFile(join(model, 'b.bin'), 'changed');
    const err = await expectCode(verifyModel(model, { key: signer.publicKey, ignoreUnsignedFiles: true }), 'ERR_MODEL_MISMATCH');
    expect(err.details).toEqual(['different: b.bin']);
  });

  it('ignoreUnsignedFiles still names a missing signed file (exit 1, not a read error)', async () => {
    await rm(join(model, 'sub/c.json'));
    const err = await expectCode(verifyModel(model, { key: signer.publicKey, ignoreUnsignedFiles: true }), 'ERR_MODEL_MISMATCH');
    expect(err.details).toEqual(['missing: sub/c.json']);
    // A missing model is still unreadable input, not a mismatch.
    await expectCode(
      verifyModel(join(model, 'gone'), { key: signer.publicKey, signature: join(model, 'model.sig'), ignoreUnsignedFiles: true }),
      'ERR_NOT_FOUND',
    );
  });

  it('a subject digest that is not the root of the resources: ERR_ROOT_DIGEST_MISMATCH', async () => {
    const m = await hashModel(model, { ignorePaths: ['model.sig'] });
    const st = statementOf(m.resources.map((r) => ({ name: r.name, digest: toHex(r.digest) })));
    st.subject[0]!.digest.sha256 = D;
    const sig = await signStatement(st, signer);
    await expectCode(verifyModel(model, { key: signer.publicKey, signature: sig }), 'ERR_ROOT_DIGEST_MISMATCH');
  });

  it('statements we do not understand: ERR_STATEMENT_INVALID / ERR_PREDICATE_TYPE', async () => {
    const good = statementOf([{ name: 'a.bin', digest: D }]);
    const badDigest = statementOf([{ name: 'a.bin', digest: D }]);
    badDigest.predicate.resources[0]!.digest = 'abc';
    const variants: [unknown, string][] = [
      [{ ...good, predicateType: 'https://model_signing/Digests/v0.1' }, 'ERR_PREDICATE_TYPE'],
      [{ ...good, _type: 'https://in-toto.io/Statement/v0.1' }, 'ERR_STATEMENT_INVALID'],
      [statementOf([{ name: 'a.bin', digest: D }], { hash_type: 'blake2b' }), 'ERR_STATEMENT_INVALID'],
      [statementOf([{ name: 'a.bin', digest: D }], { method: 'tree' }), 'ERR_STATEMENT_INVALID'],
      [badDigest, 'ERR_STATEMENT_INVALID'],
      [statementOf([{ name: 'a.bin', digest: D }, { name: 'a.bin', digest: D }]), 'ERR_STATEMENT_INVALID'],
      [statementOf([{ name: 'a.bin:0:5', digest: D }], { method: 'shards', shard_size: 0 }), 'ERR_STATEMENT_INVALID'],
      [statementOf([{ name: 'a.bin:5:5', digest: D }], { method: 'shards', shard_size: 5 }), 'ERR_STATEMENT_INVALID'],
      [statementOf([{ name: 'a.bin', digest: D }], { method: 'shards', shard_size: 5 }), 'ERR_STATEMENT_INVALID'],
    ];
    for (const [statement, code] of variants) {
      await expectCode(verifyModel(model, { key: signer.publicKey, signature: await signStatement(statement, signer) }), code);
    }
    // A payload that is not JSON at all, correctly signed.
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, utf8('not json'), [signer], { keyid: '' });
    const sig = utf8(JSON.stringify(buildKeyBundle(env, signer.publicKey)));
    await expectCode(verifyModel(model, { key: signer.publicKey, signature: sig }), 'ERR_STATEMENT_INVALID');
  });

  it('missing model path or signature: ERR_NOT_FOUND; a directory as signature: ERR_NOT_A_FILE', async () => {
    await expectCode(verifyModel(join(model, 'nope'), { key: signer.publicKey }), 'ERR_NOT_FOUND');
    await expectCode(verifyModel(model, { key: signer.publicKey, signature: join(model, 'nope.sig') }), 'ERR_NOT_FOUND');
    await expectCode(verifyModel(model, { key: signer.publicKey, signature: join(model, 'sub') }), 'ERR_NOT_A_FILE');
    // Regression: a FIFO (no writer) as the signature hung the verifier; a device never ended.
    execFileSync('mkfifo', [join(model, 'sig.fifo')]);
    await expectCode(verifyModel(model, { key: signer.publicKey, signature: join(model, 'sig.fifo') }), 'ERR_NOT_A_FILE');
    await expectCode(verifyModel(model, { key: signer.publicKey, signature: '/dev/zero' }), 'ERR_NOT_A_FILE');
  });
});

describe('paths that escape the model are rejected', () => {
  let model = '';
  let signer: Signer;
  beforeEach(async () => {
    model = await makeModel();
    signer = await newSigner();
  });

  const escapes = ['../outside', '/etc/passwd', 'sub/../../x', 'sub/./c.json', 'a//b', 'C:/x', 'sub\\..\\x', 'a\0b', ''];

  it.each(escapes)('resource name %j on verify: ERR_PATH_ESCAPE', async (name) => {
    const sig = await signStatement(statementOf([{ name, digest: D }]), signer);
    const err = await expectCode(verifyModel(model, { key: signer.publicKey, signature: sig }), 'ERR_PATH_ESCAPE');
    expect((err as InputError).exitCode).toBe(2);
  });

  it.each(['../outside', '/etc/passwd', 'sub/../../x'])('shard resource name %j on verify: ERR_PATH_ESCAPE', async (path) => {
    const sig = await signStatement(statementOf([{ name: `${path}:0:5`, digest: D }], { method: 'shards', shard_size: 5 }), signer);
    await expectCode(verifyModel(model, { key: signer.publicKey, signature: sig }), 'ERR_PATH_ESCAPE');
  });

  it.each(['..', '../x', '/abs', 'sub/../..'])('ignore_paths entry %j on verify: ERR_PATH_ESCAPE', async (ignored) => {
    const m = await hashModel(model);
    const st = statementOf(
      m.resources.map((r) => ({ name: r.name, digest: toHex(r.digest) })),
      { ignore_paths: ['.git', ignored] },
    );
    await expectCode(verifyModel(model, { key: signer.publicKey, signature: await signStatement(st, signer) }), 'ERR_PATH_ESCAPE');
  });

  it('on the hashing side: listed files that escape are refused', async () => {
    for (const name of ['../x', '/etc/passwd', 'sub/../../x']) {
      await expectCode(hashModel(model, { onlyFiles: [name] }), 'ERR_PATH_ESCAPE');
    }
    expect(assertContainedPath('.')).toBe('.');
    expect(assertContainedPath('sub/c.json')).toBe('sub/c.json');
    expectThrowCode(() => assertContainedPath('..'), 'ERR_PATH_ESCAPE');
  });

  it('ignore paths outside the model are dropped when signing, never recorded', async () => {
    const signed = await signModel(model, { signer, signaturePath: false, ignorePaths: ['../elsewhere', '/tmp'] });
    expect(signed.manifest.ignorePaths).toEqual(['.git', '.gitattributes', '.github', '.gitignore']);
  });
});

describe('file types', () => {
  it('symlinks are refused unless allowed (sign and verify)', async () => {
    const model = await makeModel();
    const outside = await makeTemp();
    await writeFile(join(outside, 'target'), 'target bytes');
    await symlink(join(outside, 'target'), join(model, 'link.bin'));
    const signer = await newSigner();
    await expectCode(hashModel(model), 'ERR_SYMLINK_REFUSED');
    await expectCode(signModel(model, { signer }), 'ERR_SYMLINK_REFUSED');
    const signed = await signModel(model, { signer, allowSymlinks: true });
    expect(signed.manifest.resources.map((r) => r.name)).toContain('link.bin');
    // The signature records allow_symlinks, so verify follows it too.
    const ok = await verifyModel(model, { key: signer.publicKey });
    expect(ok.statement.allowSymlinks).toBe(true);
  });

  it('a symlink appearing in a model signed without symlinks: ERR_SYMLINK_REFUSED on verify', async () => {
    const model = await makeModel();
    const signer = await newSigner();
    await signModel(model, { signer });
    await rm(join(model, 'b.bin'));
    await symlink(join(model, 'a.bin'), join(model, 'b.bin'));
    await expectCode(verifyModel(model, { key: signer.publicKey }), 'ERR_SYMLINK_REFUSED');
  });

  it('a symlinked model root is refused unless allowed', async () => {
    const model = await makeModel();
    const outer = await makeTemp();
    await symlink(model, join(outer, 'linked'));
    await expectCode(hashModel(join(outer, 'linked')), 'ERR_SYMLINK_REFUSED');
    const m = await hashModel(join(outer, 'linked'), { allowSymlinks: true });
    expect(m.resources).toHaveLength(3);
  });

  it('a FIFO gives ERR_UNSUPPORTED_FILE_TYPE (and does not hang)', async () => {
    const model = await makeModel();
    execFileSync('mkfifo', [join(model, 'pipe')]);
    await expectCode(hashModel(model), 'ERR_UNSUPPORTED_FILE_TYPE');
    await expectCode(hashModel(join(model, 'pipe')), 'ERR_UNSUPPORTED_FILE_TYPE');
    await expectCode(signModel(model, { signer: await newSigner() }), 'ERR_UNSUPPORTED_FILE_TYPE');
  });

  it('a missing model: ERR_NOT_FOUND', async () => {
    const dir = await makeTemp();
    await expectCode(hashModel(join(dir, 'absent')), 'ERR_NOT_FOUND');
    await expectCode(signModel(join(dir, 'absent'), { signer: await newSigner() }), 'ERR_NOT_FOUND');
  });

  it('errors carry their family and exit code', () => {
    expect(new AbortError().code).toBe('ERR_ABORTED');
    expect(new InputError('ERR_USAGE', 'x').exitCode).toBe(2);
    expect(new VerificationError('ERR_MODEL_MISMATCH', 'x', { details: ['missing: a'] }).details).toEqual(['missing: a']);
  });

  it('keys of an unsupported type are refused with ERR_KEY_UNSUPPORTED', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expectCode(importSigner(pem), 'ERR_KEY_UNSUPPORTED');
    await expectCode(importPublicKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()), 'ERR_KEY_UNSUPPORTED');
    const k256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    await expectCode(importPublicKey(k256.publicKey.export({ type: 'spki', format: 'pem' }).toString()), 'ERR_KEY_UNSUPPORTED');
    await expectCode(importPublicKey('not a key'), 'ERR_KEY_INVALID');
    // A readable file that is not a key at all.
    await expectCode(importPublicKey(readFileSync(new URL(import.meta.url))), 'ERR_KEY_INVALID');
  });
});
