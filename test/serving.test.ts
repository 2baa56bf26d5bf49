/**
 * examples/serving/server.mjs (issue 5, HTTP): the tiny model served over
 * node:http on loopback, every response signed in batches. The test calls
 * it, then verifies the receipts with the real `provenant verify`
 * (`--receipt` and `--content`), checks that a tampered response fails, that
 * the header and body carry the same receipt, and that a server stopped with
 * SIGTERM mid-batch still answers every request it had accepted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importSigner } from '../src/envelope/keys.js';
import { attestModel } from '../src/records/model.js';
import { signModel } from '../src/records/oms/sign-model.js';
import { DirectoryStore } from '../src/store/directory.js';
import { decodeReceipt } from '../src/outputs/receipt.js';
import { cleanupTemp, HAVE_DIST, makeTemp, REPO, runCli } from './helpers.js';
import { readCorpus, save, train } from '../examples/tiny-lm/index.mjs';

const SERVER = join(REPO, 'examples', 'serving', 'server.mjs');

interface Started {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

async function startServer(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [SERVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
  return { child, url: JSON.parse(line).listening, exited };
}

async function generate(url: string, body: Record<string, unknown>) {
  const res = await fetch(`${url}/generate`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', connection: 'close' } });
  return { status: res.status, header: res.headers.get('provenant-receipt'), body: (await res.json()) as { text: string; receipt: Record<string, unknown>; batch: string; index: number; error?: string } };
}

describe.skipIf(!HAVE_DIST)('examples/serving/server.mjs', () => {
  let dir: string;
  let storeDir: string;
  let modelId: string;
  let baseArgs: string[];
  let server: Started | undefined;

  beforeAll(async () => {
    dir = await makeTemp('provenant-serving-');
    storeDir = join(dir, 'store');
    const publisher = generateKeyPair('ed25519');
    const serverKey = generateKeyPair('ed25519');
    await writeFile(join(dir, 'publisher.pub'), publisher.publicKeyPem);
    await writeFile(join(dir, 'server.pem'), serverKey.privateKeyPem);
    await writeFile(join(dir, 'server.pub'), serverKey.publicKeyPem);
    // A real (tiny) model: trained, saved as safetensors, signed, attested.
    const modelDir = join(dir, 'model');
    await mkdir(modelDir);
    const lm = train(await readCorpus(join(REPO, 'examples', 'tiny-lm', 'corpus', 'poems')));
    await writeFile(join(modelDir, 'model.safetensors'), save(lm));
    const signer = await importSigner(publisher.privateKeyPem);
    await signModel(modelDir, { signer });
    const store = new DirectoryStore(storeDir);
    const model = await attestModel({ name: 'tiny-lm', version: '1', weights: join(modelDir, 'model.sig'), signers: [signer], store, format: 'safetensors' });
    await store.put(model.weights.envelopeBytes);
    modelId = (await store.put(model.envelopeBytes)).toString();
    await writeFile(
      join(dir, 'policy.yaml'),
      'version: 1\nroles:\n  publisher: { keys: [publisher.pub] }\n  server: { keys: [server.pub] }\n' +
        'kinds:\n  weights: { signedBy: publisher }\n  model: { signedBy: publisher }\n  output-batch: { signedBy: server }\n',
    );
    baseArgs = ['--model-dir', modelDir, '--model-id', modelId, '--key', join(dir, 'server.pem'), '--publisher', join(dir, 'publisher.pub'), '--store', storeDir];
  }, 120_000);

  afterEach(() => {
    // A test that failed half way must not leave its server running.
    server?.child.kill('SIGKILL');
    server = undefined;
  });
  afterAll(cleanupTemp);

  it('signs every response; `provenant verify --receipt --content` verifies them; a tampered response fails', async () => {
    server = await startServer([...baseArgs, '--batch-ms', '20']);
    const answers = await Promise.all([1, 2, 3, 4, 5].map((seed) => generate(server!.url, { prompt: 'the ', maxTokens: 40, temperature: 0.7, seed })));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body.text.startsWith('the ')).toBe(true);
      // The header's compact CBOR receipt is the body's JSON receipt.
      const compact = decodeReceipt(new Uint8Array(Buffer.from(a.header!, 'base64url')));
      const json = decodeReceipt(new TextEncoder().encode(JSON.stringify(a.body.receipt)));
      expect(compact.batch.toString()).toBe(json.batch.toString());
      expect(Buffer.from(compact.leafBytes).equals(Buffer.from(json.leafBytes))).toBe(true);
    }
    // Concurrent requests share batches: fewer batch records than outputs.
    expect(new Set(answers.map((a) => a.body.batch)).size).toBeLessThan(answers.length);

    for (const [i, a] of answers.slice(0, 2).entries()) {
      await writeFile(join(dir, `out-${i}.txt`), a.body.text);
      await writeFile(join(dir, `out-${i}.receipt`), Buffer.from(a.header!, 'base64url'));
      const ok = await runCli(['verify', '--receipt', join(dir, `out-${i}.receipt`), '--content', join(dir, `out-${i}.txt`), '--policy', join(dir, 'policy.yaml'), '--store', storeDir, '--json']);
      expect(ok.code, ok.stderr + ok.stdout).toBe(0);
      const report = JSON.parse(ok.stdout);
      expect(report.checks.some((c: { check: string; ok: boolean }) => c.check === 'receipt' && c.ok)).toBe(true);
      expect(report.chain.map((r: { kind: string }) => r.kind).sort()).toEqual(['model', 'output-batch', 'weights']);
    }
    await writeFile(join(dir, 'tampered.txt'), `${answers[0]!.body.text}!`);
    const bad = await runCli(['verify', '--receipt', join(dir, 'out-0.receipt'), '--content', join(dir, 'tampered.txt'), '--policy', join(dir, 'policy.yaml'), '--store', storeDir, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).checks.filter((c: { ok: boolean }) => !c.ok).map((c: { code: string }) => c.code)).toContain('ERR_DIGEST_MISMATCH');
    // The JSON receipt works too.
    await writeFile(join(dir, 'out-1.json'), JSON.stringify(answers[1]!.body.receipt));
    const viaJson = await runCli(['verify', '--receipt', join(dir, 'out-1.json'), '--content', join(dir, 'out-1.txt'), '--policy', join(dir, 'policy.yaml'), '--store', storeDir]);
    expect(viaJson.code, viaJson.stderr).toBe(0);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    server = undefined;
  });

  it('a server stopped with SIGTERM mid-batch answers every request it accepted, each with a valid receipt', async () => {
    // A long window: the batch would stay open for 10 s if shutdown did not flush it.
    server = await startServer([...baseArgs, '--batch-ms', '10000', '--batch-items', '1000']);
    const pending = [7, 8, 9].map((seed) => generate(server!.url, { prompt: 'a ', maxTokens: 30, seed }));
    // Wait until the server holds all three in its open batch.
    for (let i = 0; i < 200; i++) {
      const health = (await (await fetch(`${server.url}/healthz`, { headers: { connection: 'close' } })).json()) as { pending: number };
      if (health.pending === 3) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    server.child.kill('SIGTERM');
    const answers = await Promise.all(pending);
    expect(await server.exited).toBe(0);
    server = undefined;
    for (const [i, a] of answers.entries()) {
      expect(a.status).toBe(200);
      await writeFile(join(dir, `late-${i}.txt`), a.body.text);
      await writeFile(join(dir, `late-${i}.receipt`), Buffer.from(a.header!, 'base64url'));
      const ok = await runCli(['verify', '--receipt', join(dir, `late-${i}.receipt`), '--content', join(dir, `late-${i}.txt`), '--policy', join(dir, 'policy.yaml'), '--store', storeDir]);
      expect(ok.code, ok.stderr).toBe(0);
    }
    expect(new Set(answers.map((a) => a.body.batch)).size).toBe(1);
    expect((await readFile(join(dir, 'late-0.txt'), 'utf8')).startsWith('a ')).toBe(true);
  });
});
