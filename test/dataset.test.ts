/**
 * Dataset records: hash a dataset with the weights engine (OMS `files`
 * serialization) and sign a `dataset` record for it.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importSigner, type Signer } from '../src/envelope/keys.js';
import { hashModel } from '../src/digest/model.js';
import { toHex } from '../src/lib/bytes.js';
import { attestDataset } from '../src/records/dataset.js';
import { openRecord } from '../src/records/open-record.js';
import { SchemaValidationError } from '../src/records/schema/validate.js';
import { cleanupTemp, expectCode, makeTemp, rejection } from './helpers.js';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

let alice: Signer;
let bob: Signer;
let dir: string;
const contents: Record<string, string> = {
  'train/part-0.jsonl': '{"text":"hello"}\n{"text":"world"}\n',
  'train/part-1.jsonl': '{"text":"again"}\n',
  'README.md': '# tiny\n',
  'a-b/x.csv': 'x\n1\n',
  'a/y.txt': 'y\n',
  'empty.txt': '',
};

beforeAll(async () => {
  alice = await importSigner(generateKeyPair('ed25519').privateKeyPem);
  bob = await importSigner(generateKeyPair('p256').privateKeyPem);
  dir = await makeTemp('provenant-dataset-');
  for (const [name, text] of Object.entries(contents)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  await mkdir(join(dir, '.git'));
  await writeFile(join(dir, '.git/HEAD'), 'ref: refs/heads/main\n');
});
afterAll(cleanupTemp);

describe('attestDataset', () => {
  it('lists every file in OMS order with its SHA-256 and size, and signs the root digest as the subject', async () => {
    const record = await attestDataset(dir, {
      name: 'tiny',
      version: '2024.1',
      license: 'CC-BY-4.0',
      source: 'https://example.com/tiny',
      recordCount: 3,
      signer: alice,
    });
    const opened = openRecord(record.envelopeBytes, { keys: [alice.publicKey], kinds: ['dataset'] });
    const p = opened.predicate;
    // OMS orders by path component ("a" < "a-b"), where a plain string sort puts "a-b/x.csv" first; .git is ignored.
    expect(p.files.map((f) => f.name)).toEqual(['README.md', 'a/y.txt', 'a-b/x.csv', 'empty.txt', 'train/part-0.jsonl', 'train/part-1.jsonl']);
    for (const f of p.files) {
      expect(f.sha256).toBe(sha256(contents[f.name]!));
      expect(f.size).toBe(Buffer.byteLength(contents[f.name]!));
    }
    // Root digest, computed independently: SHA-256 over the raw file digests in order.
    const root = sha256(Buffer.concat(p.files.map((f) => Buffer.from(sha256(contents[f.name]!), 'hex'))));
    expect(p.rootDigest).toBe(root);
    expect(opened.statement.subject).toEqual([{ name: 'tiny', digest: { sha256: root } }]);
    expect(toHex(record.manifest.rootDigest)).toBe(root);
    expect(toHex((await hashModel(dir)).rootDigest)).toBe(root);
    expect({ name: p.name, version: p.version, license: p.license, source: p.source, recordCount: p.recordCount }).toEqual({
      name: 'tiny',
      version: '2024.1',
      license: 'CC-BY-4.0',
      source: 'https://example.com/tiny',
      recordCount: 3,
    });
    expect(p.approvals).toBeUndefined();
  });

  it('gives the same id for the same dataset and metadata, and another when a byte changes', async () => {
    const a = await attestDataset(dir, { name: 'tiny', version: '1', signer: alice });
    const b = await attestDataset(dir, { name: 'tiny', version: '1', signer: bob });
    expect(b.id.toString()).toBe(a.id.toString());
    const copy = await makeTemp('provenant-dataset-copy-');
    for (const [name, text] of Object.entries(contents)) {
      await mkdir(join(copy, name, '..'), { recursive: true });
      await writeFile(join(copy, name), name === 'README.md' ? text.replace('tiny', 'tinY') : text);
    }
    const c = await attestDataset(copy, { name: 'tiny', version: '1', signer: alice });
    expect(c.id.toString()).not.toBe(a.id.toString());
  });

  it('signs with several signers for M-of-N approval', async () => {
    const record = await attestDataset(dir, { name: 'tiny', version: '1', signers: [alice, bob] });
    expect(record.envelope.signatures).toHaveLength(2);
    expect(openRecord(record.envelopeBytes, { keys: [alice.publicKey, bob.publicKey], threshold: 2 }).signedBy).toHaveLength(2);
  });

  it('records approvals as record ids', async () => {
    const first = await attestDataset(dir, { name: 'tiny', version: '1', signer: alice });
    const record = await attestDataset(dir, { name: 'tiny', version: '2', signer: alice, approvals: [first.id] });
    expect(record.statement.predicate.approvals).toEqual([first.id.toString()]);
  });

  it('names a single-file dataset by its base name', async () => {
    const file = join(dir, 'train/part-1.jsonl');
    const record = await attestDataset(file, { name: 'one', version: '1', signer: alice });
    expect(record.statement.predicate.files).toEqual([{ name: 'part-1.jsonl', sha256: sha256(contents['train/part-1.jsonl']!), size: 17 }]);
    expect(record.statement.predicate.rootDigest).toBe(sha256(Buffer.from(sha256(contents['train/part-1.jsonl']!), 'hex')));
  });

  it('honours ignore paths', async () => {
    const record = await attestDataset(dir, { name: 'tiny', version: '1', signer: alice, ignorePaths: ['train'] });
    expect(record.statement.predicate.files.map((f) => f.name)).toEqual(['README.md', 'a/y.txt', 'a-b/x.csv', 'empty.txt']);
  });

  it('checks the metadata before hashing anything, listing every bad field', async () => {
    // The path does not exist: a schema error proves nothing was read.
    const err = await rejection(
      attestDataset(join(dir, 'missing'), { name: '', version: 'with space', source: 'not a uri', recordCount: 1.5, approvals: ['nope'], signer: alice }),
    );
    expect(err).toBeInstanceOf(SchemaValidationError);
    expect((err as SchemaValidationError).fields.map((f) => f.path)).toEqual([
      'predicate.name',
      'predicate.version',
      'predicate.source',
      'predicate.recordCount',
      'predicate.approvals[0]',
    ]);
  });

  it('fails clearly for a missing or empty dataset, and without a signer', async () => {
    await expectCode(attestDataset(join(dir, 'missing'), { name: 'x', version: '1', signer: alice }), 'ERR_NOT_FOUND');
    const empty = await makeTemp('provenant-empty-');
    await expectCode(attestDataset(empty, { name: 'x', version: '1', signer: alice }), 'ERR_NOT_FOUND');
    await expect(attestDataset(dir, { name: 'x', version: '1' })).rejects.toThrow(TypeError);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectCode(attestDataset(dir, { name: 'x', version: '1', signer: alice, signal: controller.signal }), 'ERR_ABORTED');
  });

  it('reports progress', async () => {
    const seen: number[] = [];
    await attestDataset(dir, { name: 'x', version: '1', signer: alice, onProgress: (p) => seen.push(p.bytesDone) });
    const total = Object.values(contents).reduce((n, t) => n + Buffer.byteLength(t), 0);
    expect(seen.at(-1)).toBe(total);
  });
});
