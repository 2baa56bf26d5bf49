/**
 * Issue 3 through the real CLI (the built dist/cli.js, run as a child
 * process): `dataset attest`, `model attest`, `store ls|show|export|import`,
 * `inspect`, and the bad-input list. Record ids are recomputed here
 * independently (sha256 from node:crypto, the CID bytes built by hand and
 * base32-encoded with multiformats), never with provenant's `recordId`.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CID } from 'multiformats/cid';
import { base32 } from 'multiformats/bases/base32';
import * as Digest from 'multiformats/hashes/digest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryStore, importPublicKey, importSigner, parseEnvelope, signEnvelope, verifyEnvelope } from '../src/index.js';
import type { PublicKey } from '../src/index.js';
import { CLI, cleanupTemp, HAVE_DIST, makeTemp, REPO, runCli, type CliResult } from './helpers.js';

afterAll(cleanupTemp);

// ---------------------------------------------------------------- helpers

/** The record id of `payload`, computed without provenant: CIDv1 | json (0x0200) | sha2-256 (0x12, 32 bytes). */
function independentId(payload: Uint8Array): string {
  const digest = createHash('sha256').update(payload).digest();
  // varint(1) = 01, varint(0x0200) = 80 04, multihash: 12 20 <digest>
  const bytes = new Uint8Array([0x01, 0x80, 0x04, 0x12, 0x20, ...digest]);
  const byHand = base32.encode(bytes);
  // The same CID through multiformats' own constructor, as a cross-check of the hand-built bytes.
  expect(CID.createV1(0x0200, Digest.create(0x12, new Uint8Array(digest))).toString()).toBe(byHand);
  return byHand;
}

/** RFC 8785 for the values our payloads hold (strings, safe integers, booleans, null, arrays, objects). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256sum(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The stable code a failed command printed (`provenant: error CODE: ...`). */
function errorCode(r: CliResult): string | undefined {
  return /provenant: error (ERR_[A-Z_]+):/.exec(r.stderr)?.[1];
}

/** Expect a failure with `code` and exit code `exit`, and nothing on stdout. */
function expectFailure(r: CliResult, code: string, exit: 1 | 2): void {
  expect({ exit: r.code, code: errorCode(r) }, r.stderr).toEqual({ exit, code });
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/internal error/);
}

/** Expect success; return stdout. */
function ok(r: CliResult): string {
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** The id a record-writing command printed (its only stdout line). */
function printedId(r: CliResult): string {
  const out = ok(r);
  expect(out).toMatch(/^bagaaiera[a-z2-7]{52}\n$/);
  return out.trim();
}

interface BinResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Run the CLI with binary stdout and optional stdin. */
function runBin(args: readonly string[], input?: Uint8Array): Promise<BinResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** Every file under `dir`, relative, sorted. */
function walk(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

/**
 * The store holds only complete records: every entry is `<shard>/<id>.json`
 * whose envelope parses and whose payload hashes (independently) to `<id>`;
 * no temporary or stray files. Returns the ids.
 */
function expectCleanStore(dir: string): string[] {
  const ids: string[] = [];
  for (const rel of walk(dir)) {
    const m = /^([a-z2-7]{2})\/(bagaaiera[a-z2-7]{52})\.json$/.exec(rel);
    expect(m, `unexpected file in the store: ${rel}`).not.toBeNull();
    const [, shard, id] = m!;
    expect(shard).toBe(id!.slice(-3, -1));
    const parsed = parseEnvelope(readFileSync(join(dir, rel)));
    expect(independentId(parsed.payload), `${rel} is mislabelled`).toBe(id);
    ids.push(id!);
  }
  return ids.sort();
}

/** The file a record is stored in. */
function recordFile(store: string, id: string): string {
  return join(store, id.slice(-3, -1), `${id}.json`);
}

function payloadOf(envelopeBytes: Uint8Array | string): { text: string; json: Record<string, any> } {
  const env = JSON.parse(String(envelopeBytes)) as { payload: string };
  const text = Buffer.from(env.payload, 'base64').toString('utf8');
  return { text, json: JSON.parse(text) as Record<string, any> };
}

/** A CIDv1 json/sha2-256 id of random bytes: well-formed, and in no store. */
function absentId(): string {
  return independentId(randomBytes(40));
}

// ------------------------------------------------------------------ tests

describe.skipIf(!HAVE_DIST)('provenant CLI: records, store, datasets and model lineage (issue 3)', () => {
  let dir = '';
  let store = '';
  let keyA = '';
  let keyB = '';
  let stranger = '';
  let pubA: PublicKey;
  let pubB: PublicKey;
  let data = '';
  let model = '';
  let card = '';
  let datasetId = '';
  let weightsId = '';
  let modelId = '';
  let modelV2Id = '';

  beforeAll(async () => {
    dir = await makeTemp('provenant-cli-records-');
    store = join(dir, 'store');
    keyA = join(dir, 'a.key');
    keyB = join(dir, 'b.key');
    stranger = join(dir, 'stranger.key');
    const keygens = await Promise.all([
      runCli(['keygen', '--out', keyA, '--alg', 'ed25519']),
      runCli(['keygen', '--out', keyB, '--alg', 'p256']),
      runCli(['keygen', '--out', stranger]),
    ]);
    for (const r of keygens) expect(r.code, r.stderr).toBe(0);
    pubA = await importPublicKey(readFileSync(`${keyA}.pub`));
    pubB = await importPublicKey(readFileSync(`${keyB}.pub`));

    data = join(dir, 'data');
    await mkdir(join(data, 'split'), { recursive: true });
    await writeFile(join(data, 'train.jsonl'), '{"x":1}\n{"x":2}\n');
    await writeFile(join(data, 'split/test.jsonl'), '{"x":3}\n');

    model = join(dir, 'model');
    await mkdir(model, { recursive: true });
    await writeFile(join(model, 'weights.bin'), randomBytes(50_000));
    await writeFile(join(model, 'config.json'), '{"layers":2}');
    card = join(dir, 'README.md');
    await writeFile(card, '# tiny model\n\nA model card.\n');
    expect((await runCli(['model', 'sign', model, '--key', keyA])).code).toBe(0);
  });

  describe('dataset attest', () => {
    it('prints the record id, which is the CIDv1 (json, sha2-256) of the stored payload bytes', async () => {
      const r = await runCli([
        'dataset', 'attest', data, '--name', 'tiny-data', '--version', '1.0', '--license', 'CC-BY-4.0',
        '--source', 'https://example.com/tiny', '--key', keyA, '--store', store,
      ]);
      datasetId = printedId(r);
      expect(expectCleanStore(store)).toEqual([datasetId]);

      const shown = await runBin(['store', 'show', datasetId, '--envelope', '--store', store]);
      expect(shown.code, shown.stderr).toBe(0);
      const parsed = parseEnvelope(shown.stdout);
      expect(independentId(parsed.payload)).toBe(datasetId);
      // The payload is RFC 8785 canonical JSON, and says what was attested.
      const { text, json } = payloadOf(shown.stdout);
      expect(text).toBe(canonical(JSON.parse(text)));
      expect(json).toMatchObject({
        _type: 'https://in-toto.io/Statement/v1',
        predicateType: 'https://provenant.dev/dataset/v1',
        predicate: { name: 'tiny-data', version: '1.0', license: 'CC-BY-4.0', source: 'https://example.com/tiny' },
      });
      const files = (json.predicate.files as { name: string; sha256: string; size: number }[]).map((f) => [f.name, f.sha256, f.size]);
      expect(files).toEqual([
        ['split/test.jsonl', sha256sum(join(data, 'split/test.jsonl')), 8],
        ['train.jsonl', sha256sum(join(data, 'train.jsonl')), 16],
      ]);
      expect(json.subject[0].digest.sha256).toBe(json.predicate.rootDigest);
    });

    it('--json prints {id, kind: "dataset", ...}', async () => {
      const r = await runCli(['dataset', 'attest', data, '--name', 'tiny-data', '--version', '1.0', '--license', 'CC-BY-4.0',
        '--source', 'https://example.com/tiny', '--key', keyA, '--store', store, '--json']);
      const json = JSON.parse(ok(r));
      expect(json).toMatchObject({ id: datasetId, kind: 'dataset', name: 'tiny-data', version: '1.0', files: 2 });
    });

    it('the same inputs give the same id (canonical JSON), even with a randomized signature scheme', async () => {
      const args = ['dataset', 'attest', data, '--name', 'same', '--version', '2', '--key', keyB];
      const s1 = join(dir, 'same-1');
      const s2 = join(dir, 'same-2');
      const [r1, r2] = await Promise.all([runCli([...args, '--store', s1]), runCli([...args, '--store', s2])]);
      const id1 = printedId(r1!);
      const id2 = printedId(r2!);
      expect(id1).toBe(id2);
      const e1 = readFileSync(recordFile(s1, id1), 'utf8');
      const e2 = readFileSync(recordFile(s2, id2), 'utf8');
      // ECDSA signatures differ; the payload (and so the id) does not.
      expect(JSON.parse(e1).signatures[0].sig).not.toBe(JSON.parse(e2).signatures[0].sig);
      expect(JSON.parse(e1).payload).toBe(JSON.parse(e2).payload);
      // Another input, another id.
      const id3 = printedId(await runCli(['dataset', 'attest', data, '--name', 'same', '--version', '3', '--key', keyB, '--store', s1]));
      expect(id3).not.toBe(id1);
    });

    it('repeated --key gives one envelope with two signatures (2-of-2 verifies)', async () => {
      const s = join(dir, 'two-keys');
      const id = printedId(await runCli(['dataset', 'attest', data, '--name', 'two', '--version', '1', '--key', keyA, '--key', keyB, '--store', s]));
      const parsed = parseEnvelope(readFileSync(recordFile(s, id)));
      expect(parsed.signatures).toHaveLength(2);
      expect(verifyEnvelope(parsed, { keys: [pubA, pubB], threshold: 2 }).signedBy.sort()).toEqual([pubA.keyId, pubB.keyId].sort());
      expect(() => verifyEnvelope(parsed, { keys: [pubA], threshold: 2 })).toThrow(expect.objectContaining({ code: 'ERR_THRESHOLD_NOT_MET' }));
    });

    it('concurrent writers (several processes, same and different records) leave only complete, valid files', async () => {
      const s = join(dir, 'concurrent');
      const runs = await Promise.all([
        // The same record three times, each with a different (randomized ECDSA) signature, plus another record.
        ...[0, 1, 2].map(() => runCli(['dataset', 'attest', data, '--name', 'c', '--version', '1', '--key', keyB, '--store', s])),
        runCli(['dataset', 'attest', data, '--name', 'c', '--version', '2', '--key', keyA, '--store', s]),
      ]);
      const ids = runs.map(printedId);
      expect(new Set(ids.slice(0, 3)).size).toBe(1);
      expect(expectCleanStore(s)).toEqual([ids[0]!, ids[3]!].sort());
      const parsed = parseEnvelope(readFileSync(recordFile(s, ids[0]!)));
      expect(verifyEnvelope(parsed, { keys: [pubB] }).signedBy).toEqual([pubB.keyId]);
    });

    it('without --store writes to ./.provenant', async () => {
      const cwd = await makeTemp('provenant-default-store-');
      const r = await runCli(['dataset', 'attest', data, '--name', 'd', '--version', '1', '--key', keyA], { cwd });
      const id = printedId(r);
      expect(expectCleanStore(join(cwd, '.provenant'))).toEqual([id]);
      expect(JSON.parse(ok(await runCli(['store', 'ls', '--json'], { cwd })))).toEqual([{ id, kind: 'dataset', summary: 'd@1' }]);
    });
  });

  describe('model attest', () => {
    it('stores the weights record and a model record linking weights, datasets and the card digest', async () => {
      const r = await runCli([
        'model', 'attest', model, '--name', 'tiny', '--version', '1.0', '--key', keyA, '--dataset', datasetId,
        '--card', card, '--license', 'Apache-2.0', '--store', store, '--json',
      ]);
      const json = JSON.parse(ok(r));
      // The weights record is the DSSE envelope inside model.sig; its id is the CID of that payload.
      const bundle = JSON.parse(readFileSync(join(model, 'model.sig'), 'utf8'));
      const omsPayload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
      weightsId = independentId(omsPayload);
      const omsStatement = JSON.parse(omsPayload.toString('utf8'));
      expect(json).toMatchObject({ kind: 'model', name: 'tiny', version: '1.0', weights: weightsId, datasets: [datasetId], parents: [] });
      modelId = json.id as string;
      expect(expectCleanStore(store)).toEqual([datasetId, weightsId, modelId].sort());

      const { json: statement } = payloadOf(readFileSync(recordFile(store, modelId)));
      expect(independentId(parseEnvelope(readFileSync(recordFile(store, modelId))).payload)).toBe(modelId);
      expect(statement.predicateType).toBe('https://provenant.dev/model/v1');
      expect(statement.predicate).toMatchObject({
        name: 'tiny',
        version: '1.0',
        license: 'Apache-2.0',
        weights: { id: weightsId, rootDigest: omsStatement.subject[0].digest.sha256 },
        datasets: [datasetId],
        card: { name: 'README.md', sha256: sha256sum(card), size: statSync(card).size },
      });
      expect(statement.predicate.parents ?? []).toEqual([]);
      // The stored weights record has the OMS payload byte for byte.
      expect(Buffer.from(parseEnvelope(readFileSync(recordFile(store, weightsId))).payload)).toEqual(omsPayload);
    });

    it('without --json prints only the model id; attesting again gives the same id', async () => {
      const r = await runCli(['model', 'attest', model, '--name', 'tiny', '--version', '1.0', '--key', keyA, '--dataset', datasetId,
        '--card', card, '--license', 'Apache-2.0', '--store', store]);
      expect(printedId(r)).toBe(modelId);
      expect(expectCleanStore(store)).toEqual([datasetId, weightsId, modelId].sort());
    });

    it('a parent chain: v2 --parent v1, with --weights naming a signature elsewhere', async () => {
      const v2 = join(dir, 'model-v2');
      await mkdir(v2, { recursive: true });
      await writeFile(join(v2, 'weights.bin'), randomBytes(30_000));
      const sig = join(dir, 'v2.sig');
      expect((await runCli(['model', 'sign', v2, '--key', keyA, '--signature', sig])).code).toBe(0);
      const r = await runCli(['model', 'attest', v2, '--name', 'tiny', '--version', '2.0', '--key', keyA, '--weights', sig,
        '--parent', modelId, '--dataset', datasetId, '--store', store, '--json']);
      const json = JSON.parse(ok(r));
      modelV2Id = json.id as string;
      const v2Weights = independentId(Buffer.from(JSON.parse(readFileSync(sig, 'utf8')).dsseEnvelope.payload, 'base64'));
      expect(json).toMatchObject({ kind: 'model', weights: v2Weights, parents: [modelId], datasets: [datasetId] });
      const { json: statement } = payloadOf(readFileSync(recordFile(store, modelV2Id)));
      expect(statement.predicate.parents).toEqual([modelId]);
      expect(statement.predicate.weights.id).toBe(v2Weights);
      expect(expectCleanStore(store)).toEqual([datasetId, weightsId, modelId, v2Weights, modelV2Id].sort());
    });

    it('a dataset given as --parent (or a model as --dataset) is the wrong kind: ERR_LINK_KIND, exit 1, nothing written', async () => {
      const before = walk(store);
      const [asParent, asDataset] = await Promise.all([
        runCli(['model', 'attest', model, '--name', 'x', '--version', '1', '--key', keyA, '--parent', datasetId, '--store', store]),
        runCli(['model', 'attest', model, '--name', 'x', '--version', '1', '--key', keyA, '--dataset', modelId, '--store', store]),
      ]);
      expectFailure(asParent!, 'ERR_LINK_KIND', 1);
      expectFailure(asDataset!, 'ERR_LINK_KIND', 1);
      expect(walk(store)).toEqual(before);
      expectCleanStore(store);
    });
  });

  describe('store ls|show|export|import', () => {
    it('ls lists every record with its kind (--json and text)', async () => {
      const rows = JSON.parse(ok(await runCli(['store', 'ls', '--store', store, '--json']))) as { id: string; kind: string }[];
      const kinds = Object.fromEntries(rows.map((r) => [r.id, r.kind]));
      expect(kinds[datasetId]).toBe('dataset');
      expect(kinds[weightsId]).toBe('weights');
      expect(kinds[modelId]).toBe('model');
      expect(kinds[modelV2Id]).toBe('model');
      expect(rows.map((r) => r.id).sort()).toEqual(expectCleanStore(store));
      const text = ok(await runCli(['store', 'ls', '--store', store]));
      expect(text.trim().split('\n').map((l) => l.split(/\s+/)[0]).sort()).toEqual(rows.map((r) => r.id).sort());
    });

    it('show --envelope prints the envelope exactly as stored, and it verifies with the public key', async () => {
      const ids = [datasetId, modelId, weightsId];
      const shown = await Promise.all(ids.map((id) => runBin(['store', 'show', id, '--envelope', '--store', store])));
      for (const [i, id] of ids.entries()) {
        const r = shown[i]!;
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.equals(readFileSync(recordFile(store, id))), id).toBe(true);
        const verified = verifyEnvelope(parseEnvelope(r.stdout), { keys: [pubA], threshold: 1, payloadType: 'application/vnd.in-toto+json' });
        expect(verified.signedBy).toEqual([pubA.keyId]);
        expect(independentId(verified.payload)).toBe(id);
        // A key that did not sign it does not verify it.
        expect(() => verifyEnvelope(parseEnvelope(r.stdout), { keys: [pubB], threshold: 1 })).toThrow();
      }
    });

    it('show --json and show (text) print the statement', async () => {
      const json = JSON.parse(ok(await runCli(['store', 'show', modelId, '--store', store, '--json'])));
      expect(json).toMatchObject({ id: modelId, kind: 'model', payloadType: 'application/vnd.in-toto+json' });
      expect(json.signatures).toEqual([{ keyid: pubA.keyId }]);
      expect(json.statement.predicate.weights.id).toBe(weightsId);
      const text = ok(await runCli(['store', 'show', modelId, '--store', store]));
      expect(text.startsWith(`${modelId}  model`)).toBe(true);
      const payload = await runBin(['store', 'show', modelId, '--payload', '--store', store]);
      expect(independentId(payload.stdout)).toBe(modelId);
    });

    it('export MODEL_ID writes the chain (model, weights, datasets) to a CAR, which is a read-only store', async () => {
      const car = join(dir, 'chain.car');
      const r = await runCli(['store', 'export', modelId, '--out', car, '--store', store, '--json']);
      const json = JSON.parse(ok(r));
      expect([...json.records].sort()).toEqual([modelId, weightsId, datasetId].sort());
      expect(json.size).toBe(statSync(car).size);

      const rows = JSON.parse(ok(await runCli(['store', 'ls', '--store', car, '--json']))) as { id: string; kind: string }[];
      expect(rows.map((x) => x.id).sort()).toEqual([modelId, weightsId, datasetId].sort());
      // Records read from the CAR are byte-identical to the directory's.
      const fromCar = await runBin(['store', 'show', modelId, '--envelope', '--store', car]);
      expect(fromCar.stdout.equals(readFileSync(recordFile(store, modelId)))).toBe(true);
      // v2's chain also has its parent's chain.
      const car2 = join(dir, 'chain-v2.car');
      const j2 = JSON.parse(ok(await runCli(['store', 'export', modelV2Id, '--out', car2, '--store', store, '--json'])));
      expect(j2.records).toHaveLength(5);
      expect(j2.records).toEqual(expect.arrayContaining([modelV2Id, modelId, weightsId, datasetId]));

      // Writing to a CAR is refused before anything happens.
      const carBytes = readFileSync(car);
      expectFailure(
        await runCli(['dataset', 'attest', data, '--name', 'x', '--version', '1', '--key', keyA, '--store', car]),
        'ERR_READ_ONLY',
        2,
      );
      expectFailure(await runCli(['store', 'import', car2, '--store', car]), 'ERR_READ_ONLY', 2);
      expect(readFileSync(car).equals(carBytes)).toBe(true);

      // Import into another store gives the same records.
      const other = join(dir, 'other');
      const imported = JSON.parse(ok(await runCli(['store', 'import', car, '--store', other, '--json'])));
      expect([...imported.records].sort()).toEqual([modelId, weightsId, datasetId].sort());
      const otherRows = JSON.parse(ok(await runCli(['store', 'ls', '--store', other, '--json']))) as { id: string }[];
      expect(otherRows.map((x) => x.id).sort()).toEqual(rows.map((x) => x.id).sort());
      expect(expectCleanStore(other)).toEqual([modelId, weightsId, datasetId].sort());
      for (const id of [modelId, weightsId, datasetId]) {
        expect(readFileSync(recordFile(other, id)).equals(readFileSync(recordFile(store, id)))).toBe(true);
      }
    });

    it('export --out - writes a CAR to stdout that imports with import -', async () => {
      const exported = await runBin(['store', 'export', modelV2Id, '--out', '-', '--store', store]);
      expect(exported.code, exported.stderr).toBe(0);
      // A CARv1 starts with its varint header length and a dag-cbor map holding "roots" and "version".
      expect(exported.stdout.length).toBeGreaterThan(100);
      expect(exported.stdout.includes(Buffer.from('roots'))).toBe(true);
      const piped = join(dir, 'piped');
      const imported = await runBin(['store', 'import', '-', '--store', piped, '--json'], exported.stdout);
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout.toString('utf8')).records).toHaveLength(5);
      expect(expectCleanStore(piped)).toEqual(expect.arrayContaining([modelV2Id, modelId, weightsId, datasetId]));
      expect(expectCleanStore(piped)).toHaveLength(5);
      // A truncated CAR on stdin imports nothing.
      const cut = join(dir, 'cut');
      const bad = await runBin(['store', 'import', '-', '--store', cut], exported.stdout.subarray(0, exported.stdout.length - 10));
      expect(bad.code, bad.stderr).toBe(2);
      expect(walk(cut)).toEqual([]);
    });

    it('export without ids exports every record; --out - with --json is bad usage', async () => {
      const car = join(dir, 'all.car');
      const json = JSON.parse(ok(await runCli(['store', 'export', '--out', car, '--store', store, '--json'])));
      expect([...json.records].sort()).toEqual(expectCleanStore(store));
      expectFailure(await runCli(['store', 'export', modelId, '--out', '-', '--json', '--store', store]), 'ERR_USAGE', 2);
    });
  });

  describe('inspect', () => {
    it('a record by id (text and --json)', async () => {
      const json = JSON.parse(ok(await runCli(['inspect', modelId, '--store', store, '--json'])));
      expect(json).toMatchObject({ id: modelId, kind: 'model', payloadType: 'application/vnd.in-toto+json', verified: false });
      expect(json.statement.predicate.datasets).toEqual([datasetId]);
      expect(json.signatures).toHaveLength(1);
      const text = ok(await runCli(['inspect', datasetId, '--store', store]));
      expect(text).toContain(datasetId);
      expect(text).toMatch(/\bdataset\b/);
      expect(text).toContain('tiny-data');
    });

    it('an envelope file, and a model.sig (the weights record inside it)', async () => {
      const json = JSON.parse(ok(await runCli(['inspect', recordFile(store, datasetId), '--json'])));
      expect(json).toMatchObject({ id: datasetId, kind: 'dataset' });
      const sig = JSON.parse(ok(await runCli(['inspect', join(model, 'model.sig'), '--json'])));
      expect(sig).toMatchObject({ id: weightsId, kind: 'weights' });
      expect(sig.statement.predicateType).toBe('https://model_signing/signature/v1.0');
      const text = ok(await runCli(['inspect', join(model, 'model.sig')]));
      expect(text).toContain(weightsId);
      expect(text).toMatch(/\bweights\b/);
    });

    it('accepts URL-safe base64 (same id)', async () => {
      const env = JSON.parse(readFileSync(recordFile(store, datasetId), 'utf8'));
      env.payload = Buffer.from(env.payload, 'base64').toString('base64url');
      const file = join(dir, 'urlsafe.json');
      await writeFile(file, JSON.stringify(env));
      expect(JSON.parse(ok(await runCli(['inspect', file, '--json']))).id).toBe(datasetId);
    });
  });

  describe('bad input: a stable code, the documented exit code, and a clean store', () => {
    type Case = [args: string[], code: string, exit: 1 | 2];
    /** Run the cases (concurrently), expect each to fail as stated, and the store unchanged and clean. */
    async function allFailCleanly(cases: Case[], target = store): Promise<void> {
      const before = walk(target);
      const results = await Promise.all(cases.map(([args]) => runCli(args)));
      results.forEach((r, i) => expectFailure(r, cases[i]![1], cases[i]![2]));
      expect(walk(target)).toEqual(before);
      expectCleanStore(target);
    }
    async function failsCleanly(args: string[], code: string, exit: 1 | 2, target = store): Promise<void> {
      await allFailCleanly([[args, code, exit]], target);
    }
    /** Run commands concurrently and expect each to fail with its code. */
    async function allFail(cases: Case[]): Promise<void> {
      const results = await Promise.all(cases.map(([args]) => runCli(args)));
      results.forEach((r, i) => expectFailure(r, cases[i]![1], cases[i]![2]));
    }

    it('unknown predicate type: a validly signed record of another kind is refused as a link (ERR_LINK_KIND, exit 1)', async () => {
      const s = join(dir, 'unknown-type');
      const statement = {
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'thing', digest: { sha256: 'ab'.repeat(32) } }],
        predicateType: 'https://example.com/unknown/v1',
        predicate: { name: 'thing', version: '1' },
      };
      const payload = Buffer.from(canonical(statement));
      const envelope = await signEnvelope('application/vnd.in-toto+json', payload, [await importSigner(readFileSync(keyA))]);
      const id = (await new DirectoryStore(s).put(JSON.stringify(envelope))).toString();
      expect(id).toBe(independentId(payload));
      await failsCleanly(['model', 'attest', model, '--name', 'm', '--version', '1', '--key', keyA, '--dataset', id, '--store', s], 'ERR_LINK_KIND', 1, s);
      // inspect does not verify: it names the kind unknown.
      expect(JSON.parse(ok(await runCli(['inspect', id, '--store', s, '--json'])))).toMatchObject({ id, kind: 'unknown' });
    });

    it('schema violations: ERR_SCHEMA, exit 1', async () => {
      const ds = ['dataset', 'attest', data, '--key', keyA, '--store', store];
      const ma = ['model', 'attest', model, '--key', keyA, '--store', store];
      await allFailCleanly([
        [[...ds, '--name', 'n', '--version', ''], 'ERR_SCHEMA', 1],
        [[...ds, '--name', 'bad\u001b[31mname', '--version', '1'], 'ERR_SCHEMA', 1],
        [[...ds, '--name', 'n', '--version', 'has space'], 'ERR_SCHEMA', 1],
        [[...ds, '--name', 'n', '--version', '1', '--source', 'not a uri'], 'ERR_SCHEMA', 1],
        [[...ma, '--name', '', '--version', '1'], 'ERR_SCHEMA', 1],
        [[...ma, '--name', 'm', '--version', '1', '--license', 'x\u0007'], 'ERR_SCHEMA', 1],
      ]);
    });

    it('a truncated envelope: ERR_MALFORMED, exit 2', async () => {
      const bytes = readFileSync(recordFile(store, datasetId));
      const file = join(dir, 'truncated.json');
      await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await allFail([
        [['inspect', file], 'ERR_MALFORMED', 2],
        [['inspect', file, '--json'], 'ERR_MALFORMED', 2],
      ]);
    });

    it('an oversized envelope or too many signatures: ERR_LIMIT_EXCEEDED, exit 2', async () => {
      const file = join(dir, 'oversized.json');
      const big = { payload: 'A'.repeat(16 * 1024 * 1024), payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: 'AAAA' }] };
      await writeFile(file, JSON.stringify(big));
      const env = JSON.parse(readFileSync(recordFile(store, datasetId), 'utf8'));
      env.signatures = Array.from({ length: 33 }, () => env.signatures[0]);
      const many = join(dir, 'many-sigs.json');
      await writeFile(many, JSON.stringify(env));
      // A (sparse) file far above the limit is refused before it is read (regression: ERR_UNREADABLE past 2 GiB).
      const huge = join(dir, 'huge.json');
      await writeFile(huge, '');
      await truncate(huge, 3 * 1024 ** 3);
      await allFail([
        [['inspect', file], 'ERR_LIMIT_EXCEEDED', 2],
        [['inspect', many], 'ERR_LIMIT_EXCEEDED', 2],
        [['inspect', huge], 'ERR_LIMIT_EXCEEDED', 2],
      ]);
      await rm(huge);
    });

    it('bad base64 in the payload or a signature: ERR_MALFORMED, exit 2', async () => {
      const env = JSON.parse(readFileSync(recordFile(store, datasetId), 'utf8'));
      const badPayload = join(dir, 'bad-b64-payload.json');
      await writeFile(badPayload, JSON.stringify({ ...env, payload: `${env.payload.slice(0, 20)}*!${env.payload.slice(20)}` }));
      const badSig = join(dir, 'bad-b64-sig.json');
      await writeFile(badSig, JSON.stringify({ ...env, signatures: [{ keyid: '', sig: 'not base64 at all!' }] }));
      await allFail([
        [['inspect', badPayload], 'ERR_MALFORMED', 2],
        [['inspect', badSig], 'ERR_MALFORMED', 2],
      ]);
    });

    it('a link to a record not in the store: ERR_LINK_MISSING, exit 1', async () => {
      const ma = ['model', 'attest', model, '--name', 'm', '--version', '1', '--key', keyA, '--store', store];
      await allFailCleanly([
        [[...ma, '--dataset', absentId()], 'ERR_LINK_MISSING', 1],
        [[...ma, '--parent', absentId()], 'ERR_LINK_MISSING', 1],
        [[...ma, '--dataset', datasetId, '--dataset', absentId()], 'ERR_LINK_MISSING', 1],
        [['store', 'show', absentId(), '--store', store], 'ERR_RECORD_NOT_FOUND', 2],
        [['store', 'export', absentId(), '--out', join(dir, 'absent.car'), '--store', store], 'ERR_RECORD_NOT_FOUND', 2],
      ]);
      expect(existsSync(join(dir, 'absent.car'))).toBe(false);
    });

    it('a malformed id: ERR_MALFORMED, exit 2', async () => {
      // Not a CID at all; a CID of another codec (raw, sha2-256).
      const rawCid = CID.createV1(0x55, Digest.create(0x12, new Uint8Array(createHash('sha256').update('x').digest()))).toString();
      await allFailCleanly([
        ...['not-an-id', rawCid].flatMap((bad): Case[] => [
          [['store', 'show', bad, '--store', store], 'ERR_MALFORMED', 2],
          [['inspect', bad, '--store', store], 'ERR_MALFORMED', 2],
        ]),
        // As a link on the command line, a malformed id is bad usage, refused before any I/O.
        [['model', 'attest', model, '--name', 'm', '--version', '1', '--key', keyA, '--dataset', 'not-an-id', '--store', store], 'ERR_MALFORMED', 2],
        [['model', 'attest', model, '--name', 'm', '--version', '1', '--key', keyA, '--parent', rawCid, '--store', store], 'ERR_MALFORMED', 2],
      ]);
    });

    it('a stored record whose payload does not match its id: ERR_RECORD_ID_MISMATCH (exit 1), and attesting again repairs it', async () => {
      const s = join(dir, 'tampered');
      const id = printedId(await runCli(['dataset', 'attest', data, '--name', 't', '--version', '1', '--key', keyA, '--store', s]));
      const file = recordFile(s, id);
      const env = JSON.parse(readFileSync(file, 'utf8'));
      const text = Buffer.from(env.payload, 'base64').toString('utf8').replace('"version":"1"', '"version":"9"');
      env.payload = Buffer.from(text).toString('base64');
      await writeFile(file, JSON.stringify(env));
      const before = walk(s);
      await allFail([
        [['store', 'show', id, '--store', s], 'ERR_RECORD_ID_MISMATCH', 1],
        [['store', 'show', id, '--envelope', '--store', s], 'ERR_RECORD_ID_MISMATCH', 1],
        [['inspect', id, '--store', s], 'ERR_RECORD_ID_MISMATCH', 1],
        [['store', 'export', id, '--out', join(dir, 'tampered.car'), '--store', s], 'ERR_RECORD_ID_MISMATCH', 1],
        // As a link it does not verify.
        [['model', 'attest', model, '--name', 'm', '--version', '1', '--key', keyA, '--dataset', id, '--store', s], 'ERR_LINK_UNVERIFIED', 1],
      ]);
      expect(existsSync(join(dir, 'tampered.car'))).toBe(false);
      expect(walk(s)).toEqual(before);
      // Putting the genuine record again replaces the mislabelled file.
      expect(printedId(await runCli(['dataset', 'attest', data, '--name', 't', '--version', '1', '--key', keyA, '--store', s]))).toBe(id);
      expect(expectCleanStore(s)).toEqual([id]);
    });

    it('a truncated stored record is refused on read (ERR_MALFORMED, exit 2) and replaced by the next put', async () => {
      const s = join(dir, 'truncated-store');
      const id = printedId(await runCli(['dataset', 'attest', data, '--name', 't', '--version', '1', '--key', keyA, '--store', s]));
      const file = recordFile(s, id);
      const bytes = readFileSync(file);
      await writeFile(file, bytes.subarray(0, 40));
      expectFailure(await runCli(['store', 'show', id, '--store', s]), 'ERR_MALFORMED', 2);
      expect(printedId(await runCli(['dataset', 'attest', data, '--name', 't', '--version', '1', '--key', keyA, '--store', s]))).toBe(id);
      expect(readFileSync(file).equals(bytes)).toBe(true);
    });

    it('a linked record signed by an unknown key: ERR_LINK_UNVERIFIED, exit 1; --trust makes it acceptable', async () => {
      const s = join(dir, 'unknown-key');
      const strangerData = printedId(await runCli(['dataset', 'attest', data, '--name', 's', '--version', '1', '--key', stranger, '--store', s]));
      await allFailCleanly(
        [
          [['model', 'attest', model, '--name', 'm', '--version', '1', '--key', keyA, '--dataset', strangerData, '--store', s], 'ERR_LINK_UNVERIFIED', 1],
          // Trusting another key does not help either.
          [
            ['model', 'attest', model, '--name', 'm', '--version', '1', '--key', keyA, '--trust', `${keyB}.pub`, '--dataset', strangerData, '--store', s],
            'ERR_LINK_UNVERIFIED',
            1,
          ],
        ],
        s,
      );
      const r = await runCli(['model', 'attest', model, '--name', 'm', '--version', '1', '--key', keyA, '--trust', `${stranger}.pub`,
        '--dataset', strangerData, '--store', s, '--json']);
      expect(JSON.parse(ok(r)).datasets).toEqual([strangerData]);
    });

    it('weights signed by an unknown key: ERR_LINK_UNVERIFIED, exit 1, nothing written', async () => {
      const s = join(dir, 'weights-stranger');
      await failsCleanly(['model', 'attest', model, '--name', 'm', '--version', '1', '--key', stranger, '--store', s], 'ERR_LINK_UNVERIFIED', 1, s);
      expect(walk(s)).toEqual([]);
    });

    it('weights changed on disk after signing: ERR_MODEL_MISMATCH, exit 1, nothing written', async () => {
      const m = join(dir, 'model-tampered');
      await mkdir(m, { recursive: true });
      await writeFile(join(m, 'weights.bin'), Buffer.alloc(20_000, 1));
      expect((await runCli(['model', 'sign', m, '--key', keyA])).code).toBe(0);
      const buf = Buffer.alloc(20_000, 1);
      buf[12_345] = 2;
      await writeFile(join(m, 'weights.bin'), buf);
      const s = join(dir, 'tampered-weights');
      await Promise.all([
        failsCleanly(['model', 'attest', m, '--name', 'm', '--version', '1', '--key', keyA, '--dataset', datasetId, '--store', store], 'ERR_MODEL_MISMATCH', 1),
        failsCleanly(['model', 'attest', m, '--name', 'm', '--version', '1', '--key', keyA, '--store', s], 'ERR_MODEL_MISMATCH', 1, s),
      ]);
      expect(walk(s)).toEqual([]);
    });

    it('missing inputs and a store path that is a plain file: exit 2', async () => {
      await allFailCleanly([
        [['dataset', 'attest', join(dir, 'nope'), '--name', 'n', '--version', '1', '--key', keyA, '--store', store], 'ERR_NOT_FOUND', 2],
        [['model', 'attest', model, '--name', 'm', '--version', '1', '--key', keyA, '--card', join(dir, 'nope.md'), '--store', store], 'ERR_NOT_FOUND', 2],
        [['dataset', 'attest', data, '--name', 'n', '--version', '1', '--key', keyA, '--store', card], 'ERR_NOT_A_DIRECTORY', 2],
        [['dataset', 'attest', data, '--name', 'n', '--version', '1', '--store', store], 'ERR_USAGE', 2],
        [['inspect', join(dir, 'nope.json')], 'ERR_NOT_FOUND', 2],
        [['store', 'import', join(dir, 'nope.car'), '--store', store], 'ERR_NOT_FOUND', 2],
      ]);
    });

    it('the main store is still clean and complete after every failure above', async () => {
      const ids = expectCleanStore(store);
      expect(ids).toEqual(expect.arrayContaining([datasetId, weightsId, modelId, modelV2Id]));
      for (const id of ids) expect(readdirSync(join(store, id.slice(-3, -1))).every((n) => !n.startsWith('.'))).toBe(true);
    });
  });

  describe('help and usage', () => {
    it('every subcommand --help exits 0; an unknown subcommand exits 2', async () => {
      const helps = [
        ['dataset', '--help'], ['dataset', 'attest', '--help'], ['model', 'attest', '--help'],
        ['store', '--help'], ['store', 'ls', '--help'], ['store', 'show', '--help'], ['store', 'export', '--help'], ['store', 'import', '--help'],
        ['inspect', '--help'], ['store', 'ls', '-h'], ['dataset', 'attest', '-h'],
      ];
      const results = await Promise.all(helps.map((args) => runCli(args)));
      results.forEach((r, i) => {
        expect(r.code, helps[i]!.join(' ')).toBe(0);
        expect(r.stdout, helps[i]!.join(' ')).toMatch(/usage/);
      });
      const unknown = await Promise.all([
        runCli(['store', 'nope']), runCli(['dataset', 'nope']), runCli(['model', 'nope']), runCli(['store']), runCli(['dataset']),
        runCli(['store', 'ls', '--no-such-flag']), runCli(['inspect']),
      ]);
      unknown.forEach((r) => expect(r.code, r.stderr).toBe(2));
      expect(errorCode(unknown[0]!)).toBe('ERR_USAGE');
    });
  });
});
