/**
 * `provenant verify IMAGE`: a published image whose C2PA content credentials
 * carry a provenant output receipt is verified through that receipt, down
 * the chain (output -> model -> weights), with the credentials themselves as
 * a check. An image edited after signing, and one whose manifest was made
 * invalid, fail.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importSigner } from '../src/envelope/keys.js';
import { createOutputSigner } from '../src/outputs/signer.js';
import { attestModel } from '../src/records/model.js';
import { signModel } from '../src/records/oms/sign-model.js';
import { DirectoryStore } from '../src/store/directory.js';
import { cleanupTemp, HAVE_DIST, makeTemp, runCli } from './helpers.js';
import { makePng } from './c2pa-images.mjs';

describe.skipIf(!HAVE_DIST)('provenant verify on an image with content credentials', () => {
  let dir: string;
  let storeDir: string;
  let signed: string;
  let policy: string;

  beforeAll(async () => {
    dir = await makeTemp('provenant-c2pa-verify-');
    storeDir = join(dir, 'store');
    const publisher = generateKeyPair('ed25519');
    const server = generateKeyPair('ed25519');
    await writeFile(join(dir, 'publisher.pub'), publisher.publicKeyPem);
    await writeFile(join(dir, 'server.pub'), server.publicKeyPem);
    const modelDir = join(dir, 'model');
    await mkdir(modelDir);
    await writeFile(join(modelDir, 'weights.bin'), 'an image model'.repeat(100));
    const pub = await importSigner(publisher.privateKeyPem);
    await signModel(modelDir, { signer: pub });
    const store = new DirectoryStore(storeDir);
    const model = await attestModel({ name: 'painter', version: '2', weights: join(modelDir, 'model.sig'), signers: [pub], store });
    await store.put(model.weights.envelopeBytes);
    const modelId = (await store.put(model.envelopeBytes)).toString();
    // The server signs the generated image as an output record (single mode).
    const png: Uint8Array = makePng(64, 48, 3);
    await writeFile(join(dir, 'generated.png'), png);
    const signer = await createOutputSigner({ model: modelId, key: server.privateKeyPem, store });
    const output = await signer.sign({ content: png, mediaType: 'image/png', parameters: { steps: 20 } });
    await signer.close();
    // The publisher embeds the receipt as content credentials (dev certificate).
    const certs = await runCli(['cert', 'dev', '--out', join(dir, 'certs')]);
    expect(certs.code, certs.stderr).toBe(0);
    signed = join(dir, 'published.png');
    const c2pa = await runCli([
      'c2pa', 'sign', join(dir, 'generated.png'), '--cert', join(dir, 'certs', 'chain.pem'), '--key', join(dir, 'certs', 'key.pem'),
      '--receipt', output.id.toString(), '--store', storeDir, '--model', 'painter@2', '--out', signed,
    ]);
    expect(c2pa.code, c2pa.stderr).toBe(0);
    policy = join(dir, 'policy.yaml');
    await writeFile(policy, 'version: 1\nroles:\n  publisher: { keys: [publisher.pub] }\n  server: { keys: [server.pub] }\nkinds:\n  weights: { signedBy: publisher }\n  model: { signedBy: publisher }\n  output: { signedBy: server }\n');
  }, 120_000);
  afterAll(cleanupTemp);

  it('walks from the receipt in the credentials down the chain', async () => {
    const r = await runCli(['verify', signed, '--policy', policy, '--store', storeDir, '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.checks[0]).toMatchObject({ check: 'credentials', ok: true });
    expect(report.chain.map((c: { kind: string }) => c.kind).sort()).toEqual(['model', 'output', 'weights']);
  });

  it('an image edited after it was generated fails, and so does one with a broken manifest', async () => {
    // Appending bytes after the PNG's end changes the asset without touching the manifest.
    const bytes = await readFile(signed);
    const edited = join(dir, 'edited.png');
    await writeFile(edited, Buffer.concat([bytes, Buffer.from('trailing')]));
    const r = await runCli(['verify', edited, '--policy', policy, '--store', storeDir, '--json']);
    expect(r.code).toBe(1);
    const failed = JSON.parse(r.stdout).checks.filter((c: { ok: boolean }) => !c.ok).map((c: { code: string }) => c.code);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((c: string) => c === 'ERR_DIGEST_MISMATCH' || c === 'ERR_SIGNATURE_INVALID')).toBe(true);
  });
});
