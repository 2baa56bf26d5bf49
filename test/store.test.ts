/**
 * The directory record store (src/store/directory.ts): round trips, exact
 * bytes, ids checked on read, hostile and damaged files, signature merging,
 * and several processes writing overlapping records at once.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { CID } from 'multiformats/cid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importPublicKey, importSigner, type PublicKey, type Signer } from '../src/envelope/keys.js';
import { parseEnvelope } from '../src/envelope/parse.js';
import { signEnvelope } from '../src/envelope/sign.js';
import type { Envelope } from '../src/envelope/types.js';
import { verifyEnvelope } from '../src/envelope/verify.js';
import { utf8 } from '../src/lib/bytes.js';
import { canonicalJson, canonicalJsonBytes } from '../src/lib/json.js';
import { recordId } from '../src/records/id.js';
import { DirectoryStore } from '../src/store/directory.js';
import { openStore } from '../src/store/open.js';
import { REPO, cleanupTemp, expectCode, makeTemp } from './helpers.js';

const PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** The canonical payload of a small in-toto statement, distinct per `n`. */
function statement(n: number): Uint8Array {
  return canonicalJsonBytes({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: `dataset-${n}.jsonl`, digest: { sha256: createHash('sha256').update(`data ${n}`).digest('hex') } }],
    predicateType: 'https://provenant.dev/dataset/v1',
    predicate: { name: `dataset ${n}`, version: '1.0.0' },
  });
}

let signerA: Signer;
let signerB: Signer;
let keyA: PublicKey;
let keyB: PublicKey;

beforeAll(async () => {
  signerA = await importSigner(generateKeyPair('ed25519').privateKeyPem);
  signerB = await importSigner(generateKeyPair('p256').privateKeyPem);
  keyA = await importPublicKey(signerA.publicKey.pem);
  keyB = await importPublicKey(signerB.publicKey.pem);
});
afterAll(cleanupTemp);

async function envelopeOf(n: number, signers: readonly Signer[] = [signerA]): Promise<Envelope> {
  return signEnvelope(PAYLOAD_TYPE, statement(n), signers);
}

/** Envelope bytes pretty-printed (not canonical), to show they are kept exactly. */
async function prettyBytes(n: number, signers?: readonly Signer[]): Promise<Uint8Array> {
  return utf8(`${JSON.stringify(await envelopeOf(n, signers), null, 2)}\n`);
}

/** Every file under `dir`, relative. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath ?? entry.path, entry.name).slice(dir.length + 1));
  }
  return out.sort();
}

async function collect(ids: AsyncIterable<CID>): Promise<string[]> {
  const out: string[] = [];
  for await (const id of ids) out.push(id.toString());
  return out;
}

describe('DirectoryStore round trips', () => {
  it('stores envelope bytes exactly as given, under the id of their payload', async () => {
    const store = new DirectoryStore(join(await makeTemp(), 'store'));
    const bytes = await prettyBytes(1);
    const id = await store.put(bytes);
    expect(id.toString()).toBe(recordId(statement(1)).toString());
    expect(id.toString()).toMatch(/^bagaaiera/);

    const path = store.pathOf(id);
    expect(path).toBe(join(store.location, id.toString().slice(-3, -1), `${id}.json`));
    expect(new Uint8Array(await readFile(path))).toEqual(bytes);

    const record = await store.get(id);
    expect(record.id.equals(id)).toBe(true);
    expect(record.envelopeBytes).toEqual(bytes);
    expect(record.payload).toEqual(statement(1));
    expect(record.payloadType).toBe(PAYLOAD_TYPE);
    expect(record.envelope.payloadType).toBe(PAYLOAD_TYPE);
    // A stored record goes straight to signature verification.
    expect(verifyEnvelope(record, { keys: [keyA], threshold: 1 }).signedBy).toEqual([keyA.keyId]);
    // Getting by the id's text gives the same record.
    expect((await store.get(id.toString())).envelopeBytes).toEqual(bytes);
  });

  it('stores an envelope object as canonical JSON and text as given', async () => {
    const store = new DirectoryStore(await makeTemp());
    const env = await envelopeOf(2);
    const id = await store.put(env);
    expect(new TextDecoder().decode((await store.get(id)).envelopeBytes)).toBe(canonicalJson(env));

    const text = `  ${JSON.stringify(await envelopeOf(3))}  `;
    const id3 = await store.put(text);
    expect(new TextDecoder().decode((await store.get(id3)).envelopeBytes)).toBe(text);
  });

  it('copies caller bytes before writing (a reused buffer does not change the record)', async () => {
    const store = new DirectoryStore(await makeTemp());
    const bytes = await prettyBytes(4);
    const original = new Uint8Array(bytes);
    const pending = store.put(bytes);
    bytes.fill(0x20);
    const id = await pending;
    expect((await store.get(id)).envelopeBytes).toEqual(original);
  });

  it('is idempotent: the same record twice is one file and no error', async () => {
    const dir = await makeTemp();
    const store = new DirectoryStore(dir);
    const bytes = await prettyBytes(5);
    const id1 = await store.put(bytes);
    const before = await stat(store.pathOf(id1));
    const id2 = await store.put(bytes);
    expect(id2.equals(id1)).toBe(true);
    const after = await stat(store.pathOf(id1));
    expect(after.ino).toBe(before.ino); // not rewritten
    expect(await filesUnder(dir)).toEqual([store.pathOf(id1).slice(dir.length + 1)]);
  });

  it('lists every record once, has() answers, and strays are ignored', async () => {
    const dir = await makeTemp();
    const store = new DirectoryStore(dir);
    const ids: string[] = [];
    for (let n = 10; n < 20; n++) ids.push((await store.put(await envelopeOf(n))).toString());
    const first = ids[0]!;
    // Strays: a crashed writer's temp file, a misfiled record, junk.
    await writeFile(join(dir, first.slice(-3, -1), `.${first}.json.123.abc.tmp`), '{');
    await mkdir(join(dir, 'zz'), { recursive: true });
    await writeFile(join(dir, 'zz', `${first}.json`), 'misfiled');
    await writeFile(join(dir, 'README'), 'not a record');
    const listed = await collect(store.list());
    expect([...listed].sort()).toEqual([...ids].sort());
    expect(await store.has(first)).toBe(true);
    expect(await store.has(recordId(statement(99)))).toBe(false);
  });

  it('a store that does not exist yet lists nothing and finds nothing', async () => {
    const store = new DirectoryStore(join(await makeTemp(), 'absent'));
    expect(await collect(store.list())).toEqual([]);
    expect(await store.has(recordId(statement(1)))).toBe(false);
    await expectCode(store.get(recordId(statement(1))), 'ERR_RECORD_NOT_FOUND');
  });

  it('refuses ids that are not record ids', async () => {
    const store = new DirectoryStore(await makeTemp());
    await expectCode(store.get('not-a-cid'), 'ERR_MALFORMED');
    await expectCode(store.get('../../etc/passwd'), 'ERR_MALFORMED');
    // A CIDv1 with the raw codec is a CID, but not a record id.
    await expectCode(store.get('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'), 'ERR_MALFORMED');
  });

  it('openStore gives a directory store for a directory and refuses a plain file', async () => {
    const dir = await makeTemp();
    const store = await openStore(dir);
    expect(store).toBeInstanceOf(DirectoryStore);
    expect(store.writable).toBe(true);
    expect((await openStore()).location).toBe(join(process.cwd(), '.provenant'));
    await writeFile(join(dir, 'file'), 'x');
    await expectCode(openStore(join(dir, 'file')), 'ERR_NOT_A_DIRECTORY');
  });
});

describe('DirectoryStore refuses damaged and hostile records', () => {
  it('refuses a file whose payload does not hash to its name (record swapped in)', async () => {
    const store = new DirectoryStore(await makeTemp());
    const idA = await store.put(await envelopeOf(30));
    const idB = await store.put(await envelopeOf(31));
    await writeFile(store.pathOf(idA), await readFile(store.pathOf(idB)));
    const err = await expectCode(store.get(idA), 'ERR_RECORD_ID_MISMATCH');
    expect(err.message).toContain(idA.toString());
    expect((err as { exitCode?: number }).exitCode).toBe(1);
  });

  it('refuses a file whose payload was edited in place', async () => {
    const store = new DirectoryStore(await makeTemp());
    const env = await envelopeOf(32);
    const id = await store.put(env);
    const edited = { ...env, payload: Buffer.from(canonicalJson({ ...JSON.parse(Buffer.from(env.payload, 'base64').toString()), predicate: { name: 'evil' } })).toString('base64') };
    await writeFile(store.pathOf(id), JSON.stringify(edited));
    await expectCode(store.get(id), 'ERR_RECORD_ID_MISMATCH');
  });

  it('refuses a truncated file', async () => {
    const store = new DirectoryStore(await makeTemp());
    const id = await store.put(await envelopeOf(33));
    const bytes = await readFile(store.pathOf(id));
    for (const cut of [0, 1, Math.floor(bytes.length / 2), bytes.length - 1]) {
      await writeFile(store.pathOf(id), bytes.subarray(0, cut));
      await expectCode(store.get(id), 'ERR_MALFORMED');
    }
  });

  it('refuses an oversized file before reading it, and an oversized put', async () => {
    const dir = await makeTemp();
    const big = new DirectoryStore(dir);
    const id = await big.put(await envelopeOf(34));
    const size = (await stat(big.pathOf(id))).size;
    const small = new DirectoryStore(dir, { limits: { maxBytes: size - 1 } });
    await expectCode(small.get(id), 'ERR_LIMIT_EXCEEDED');
    const fresh = new DirectoryStore(await makeTemp(), { limits: { maxBytes: 64 } });
    await expectCode(fresh.put(await envelopeOf(35)), 'ERR_LIMIT_EXCEEDED');
    expect(await collect(fresh.list())).toEqual([]);
  });

  it('refuses hostile envelopes on put and writes nothing', async () => {
    const dir = await makeTemp();
    const store = new DirectoryStore(dir);
    const env = await envelopeOf(36);
    const json = JSON.stringify(env);
    const hostile: [string, string][] = [
      ['not JSON', '{"payload":'],
      ['__proto__ key', json.replace('{', '{"__proto__":{"polluted":true},')],
      ['duplicate key', json.replace('{', `{"payloadType":"text/plain",`)],
      ['bad base64 payload', JSON.stringify({ ...env, payload: '***' })],
      ['no signatures', JSON.stringify({ ...env, signatures: [] })],
      ['an array', '[]'],
      ['deep nesting', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
      ['not UTF-8', '\uFFFD'],
    ];
    for (const [what, text] of hostile) {
      const bytes = what === 'not UTF-8' ? new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) : utf8(text);
      const err = await expectCode(store.put(bytes).then(() => what), what === 'deep nesting' ? 'ERR_LIMIT_EXCEEDED' : 'ERR_MALFORMED');
      expect(err).toBeDefined();
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectCode(store.put(JSON.parse(json.replace('"signatures"', '"signatures_"')) as Envelope), 'ERR_MALFORMED');
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('refuses stored files with __proto__ keys or duplicate keys on read', async () => {
    const store = new DirectoryStore(await makeTemp());
    const env = await envelopeOf(37);
    const id = await store.put(env);
    const json = JSON.stringify(env);
    await writeFile(store.pathOf(id), json.replace('{', '{"__proto__":{},'));
    await expectCode(store.get(id), 'ERR_MALFORMED');
    await writeFile(store.pathOf(id), json.replace('{', '{"signatures":[],'));
    await expectCode(store.get(id), 'ERR_MALFORMED');
  });

  it('refuses a record file that is a symbolic link', async () => {
    const dir = await makeTemp();
    const store = new DirectoryStore(join(dir, 'store'));
    const id = await store.put(await envelopeOf(38));
    const elsewhere = join(dir, 'elsewhere.json');
    await writeFile(elsewhere, await readFile(store.pathOf(id)));
    await rm(store.pathOf(id));
    await symlink(elsewhere, store.pathOf(id));
    await expectCode(store.get(id), 'ERR_SYMLINK_REFUSED');
  });

  it('put repairs a damaged file for the same id', async () => {
    const store = new DirectoryStore(await makeTemp());
    const bytes = await prettyBytes(39);
    const id = await store.put(bytes);
    await writeFile(store.pathOf(id), '{"truncat');
    await expectCode(store.get(id), 'ERR_MALFORMED');
    await store.put(bytes);
    expect((await store.get(id)).envelopeBytes).toEqual(bytes);
  });

  it('a failed write leaves neither a partial file nor a temporary file', async () => {
    const dir = await makeTemp();
    const store = new DirectoryStore(dir);
    const bytes = await prettyBytes(40);
    const id = recordId(statement(40));
    // A directory squats on the record's path: the rename cannot succeed.
    await mkdir(join(store.pathOf(id), 'x'), { recursive: true });
    await expectCode(store.put(bytes), 'ERR_WRITE_FAILED');
    expect((await filesUnder(dir)).filter((f) => !f.endsWith('/x'))).toEqual([]);
    const shard = await readdir(join(dir, id.toString().slice(-3, -1)));
    expect(shard).toEqual([`${id}.json`]);
  });
});

describe('DirectoryStore: several envelopes of one record', () => {
  it('keeps every signature when co-signers put their envelopes', async () => {
    const store = new DirectoryStore(await makeTemp());
    const one = await envelopeOf(50, [signerA]);
    const other = await envelopeOf(50, [signerB]);
    const id = await store.put(one);
    expect((await store.put(other)).equals(id)).toBe(true);
    const merged = await store.get(id);
    expect(merged.signatures).toHaveLength(2);
    expect(verifyEnvelope(merged, { keys: [keyA, keyB], threshold: 2 }).signedBy.sort()).toEqual([keyA.keyId, keyB.keyId].sort());
    // Putting a subset again changes nothing.
    const before = merged.envelopeBytes;
    await store.put(one);
    expect((await store.get(id)).envelopeBytes).toEqual(before);
  });

  it('stores a superset envelope exactly as given', async () => {
    const store = new DirectoryStore(await makeTemp());
    const id = await store.put(await envelopeOf(51, [signerA]));
    const both = await prettyBytes(51, [signerA, signerB]);
    // ed25519 is deterministic, so signerA's signature is the same in both.
    await store.put(both);
    expect((await store.get(id)).envelopeBytes).toEqual(both);
  });

  it('refuses another payloadType for a stored payload', async () => {
    const store = new DirectoryStore(await makeTemp());
    const id = await store.put(await envelopeOf(52));
    const other = await signEnvelope('application/json', statement(52), [signerA]);
    await expectCode(store.put(other), 'ERR_RECORD_CONFLICT');
    expect((await store.get(id)).payloadType).toBe(PAYLOAD_TYPE);
  });
});

describe('DirectoryStore with concurrent writers', () => {
  let childScript: string;

  beforeAll(async () => {
    // The child runs the store's TypeScript source, bundled by esbuild (the
    // compiler tsup builds the package with), so the test does not depend on
    // dist/ being built.
    const dir = await makeTemp('provenant-child-');
    childScript = join(dir, 'writer.mjs');
    await build({
      stdin: {
        contents: [
          `import { readFileSync } from 'node:fs';`,
          `import { DirectoryStore } from ${JSON.stringify(join(REPO, 'src/store/directory.ts'))};`,
          `const [dir, file, seed] = process.argv.slice(2);`,
          `const envelopes = JSON.parse(readFileSync(file, 'utf8'));`,
          `let s = Number(seed);`,
          `const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);`,
          `for (let i = envelopes.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [envelopes[i], envelopes[j]] = [envelopes[j], envelopes[i]]; }`,
          `const store = new DirectoryStore(dir);`,
          `const ids = [];`,
          `for (let round = 0; round < 3; round++) {`,
          `  // Several puts in flight per process, and several processes.`,
          `  // Read each record back at once: a non-atomic write by another`,
          `  // process would show up here as a partial file.`,
          `  ids.push(...(await Promise.all(envelopes.map(async (e) => { const id = await store.put(e); await store.get(id); return String(id); }))));`,
          `  for await (const id of store.list()) await store.get(id);`,
          `}`,
          `process.stdout.write(JSON.stringify([...new Set(ids)]));`,
        ].join('\n'),
        resolveDir: join(REPO, 'test'),
        sourcefile: 'writer.ts',
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: childScript,
      logLevel: 'silent',
    });
  });

  function runChild(args: string[]): Promise<string> {
    return new Promise((resolvePromise, reject) => {
      execFile(process.execPath, [childScript, ...args], { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
        err ? reject(new Error(`writer failed: ${err.message}\n${stderr}`)) : resolvePromise(String(stdout)),
      );
    });
  }

  it('several processes writing overlapping records leave every file whole and correctly named', async () => {
    const work = await makeTemp();
    const storeDir = join(work, 'store');
    const all: string[] = [];
    for (let n = 0; n < 40; n++) all.push(`${JSON.stringify(await envelopeOf(100 + n), null, n % 3)}\n`);
    // Six writers, each with 20 records overlapping its neighbours'.
    const writers = 6;
    const jobs: Promise<string>[] = [];
    for (let w = 0; w < writers; w++) {
      const mine = all.filter((_, n) => (n + w * 7) % 40 < 20);
      const file = join(work, `writer-${w}.json`);
      await writeFile(file, JSON.stringify(mine));
      jobs.push(runChild([storeDir, file, String(w + 1)]));
    }
    const reported = new Set((await Promise.all(jobs)).flatMap((out) => JSON.parse(out) as string[]));

    const store = new DirectoryStore(storeDir);
    const listed = await collect(store.list());
    expect(new Set(listed)).toEqual(reported);
    const expected = new Map(all.map((text) => [recordId(parseEnvelope(text).payload).toString(), text]));
    expect(new Set(listed)).toEqual(new Set([...expected.keys()].filter((id) => reported.has(id))));
    for (const id of listed) {
      const record = await store.get(id);
      expect(new TextDecoder().decode(record.envelopeBytes)).toBe(expected.get(id));
    }
    // No temporary file survives, and nothing but records is left.
    const files = await filesUnder(storeDir);
    expect(files.filter((f) => f.split('/').pop()!.startsWith('.'))).toEqual([]);
    expect(files).toHaveLength(listed.length);
  });

  it('processes adding different signatures to one record never leave a broken file', async () => {
    const work = await makeTemp();
    const storeDir = join(work, 'store');
    const signers = [signerA, signerB, await importSigner(generateKeyPair('p384').privateKeyPem), await importSigner(generateKeyPair('ed25519').privateKeyPem)];
    const jobs: Promise<string>[] = [];
    const sigSets: string[][] = [];
    for (let w = 0; w < signers.length; w++) {
      const env = await envelopeOf(200, [signers[w]!]);
      sigSets.push(env.signatures.map((s) => s.sig));
      const file = join(work, `cosigner-${w}.json`);
      await writeFile(file, JSON.stringify([JSON.stringify(env)]));
      jobs.push(runChild([storeDir, file, String(w + 1)]));
    }
    await Promise.all(jobs);
    const store = new DirectoryStore(storeDir);
    const id = recordId(statement(200));
    const record = await store.get(id);
    const stored = record.envelope.signatures.map((s) => s.sig);
    // Whole and valid, only signatures someone gave, at least one writer's.
    expect(stored.every((sig) => sigSets.flat().includes(sig))).toBe(true);
    expect(stored.length).toBeGreaterThanOrEqual(1);
    expect(new Set(stored).size).toBe(stored.length);
    expect((await filesUnder(storeDir)).filter((f) => f.split('/').pop()!.startsWith('.'))).toEqual([]);
  });
});
