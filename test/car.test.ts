/**
 * CAR export/import and the read-only CAR store (src/store/car-*.ts), in the
 * layout of docs/reference/car-format.md: round trips, determinism, tampered and
 * truncated CARs, and hand-built hostile CARs.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CarReader } from '@ipld/car/reader';
import { CarWriter } from '@ipld/car/writer';
import { varint } from 'multiformats';
import { CID } from 'multiformats/cid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importSigner, type Signer } from '../src/envelope/keys.js';
import { signEnvelope } from '../src/envelope/sign.js';
import { concatBytes, utf8 } from '../src/lib/bytes.js';
import { canonicalJsonBytes } from '../src/lib/json.js';
import { recordId } from '../src/records/id.js';
import { CAR_INDEX_TYPE, encodeCarIndex } from '../src/store/car-format.js';
import { exportCar } from '../src/store/car-export.js';
import { importCar } from '../src/store/car-import.js';
import { CarStore } from '../src/store/car-store.js';
import { DirectoryStore } from '../src/store/directory.js';
import { openStore } from '../src/store/open.js';
import type { WritableRecordStore } from '../src/store/types.js';
import { cleanupTemp, expectCode, makeTemp } from './helpers.js';

const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const JSON_CODEC = 0x0200;

function statement(n: number): Uint8Array {
  return canonicalJsonBytes({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: `model-${n}.safetensors`, digest: { sha256: createHash('sha256').update(`weights ${n}`).digest('hex') } }],
    predicateType: 'https://provenant.dev/model/v1',
    predicate: { name: `model ${n}`, version: `${n}.0.0` },
  });
}

let signer: Signer;
beforeAll(async () => {
  signer = await importSigner(generateKeyPair('ed25519').privateKeyPem);
});
afterAll(cleanupTemp);

/** Envelope bytes, pretty-printed so that "exactly as stored" is visible. */
async function envelopeBytes(n: number): Promise<Uint8Array> {
  return utf8(`${JSON.stringify(await signEnvelope(PAYLOAD_TYPE, statement(n), [signer]), null, 2)}\n`);
}

/** A directory store holding records `ns`, and their ids. */
async function storeWith(ns: readonly number[]): Promise<{ store: DirectoryStore; ids: CID[]; bytes: Map<string, Uint8Array> }> {
  const store = new DirectoryStore(join(await makeTemp(), 'store'));
  const ids: CID[] = [];
  const bytes = new Map<string, Uint8Array>();
  for (const n of ns) {
    const b = await envelopeBytes(n);
    const id = await store.put(b);
    ids.push(id);
    bytes.set(id.toString(), b);
  }
  return { store, ids, bytes };
}

function jsonCid(bytes: Uint8Array): CID {
  return recordId(bytes);
}

/** Build a CAR by hand from roots and blocks. */
async function handCar(roots: CID[], blocks: { cid: CID; bytes: Uint8Array }[]): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create(roots);
  const chunks: Uint8Array[] = [];
  const collecting = (async () => {
    for await (const c of out) chunks.push(c);
  })();
  for (const b of blocks) await writer.put(b);
  await writer.close();
  await collecting;
  return concatBytes(chunks);
}

/** The blocks of a well-formed CAR for `records` (payload, envelope bytes). */
function validBlocks(records: { payload: Uint8Array; envelope: Uint8Array }[]) {
  const entries = records.map((r) => ({ id: jsonCid(r.payload), envelope: jsonCid(r.envelope) }));
  const index = encodeCarIndex(entries);
  const root = jsonCid(index);
  const blocks = [{ cid: root, bytes: index }];
  records.forEach((r, i) => {
    blocks.push({ cid: entries[i]!.id, bytes: r.payload });
    blocks.push({ cid: entries[i]!.envelope, bytes: r.envelope });
  });
  return { root, index, blocks };
}

async function recordBlocks(n: number): Promise<{ payload: Uint8Array; envelope: Uint8Array }> {
  return { payload: statement(n), envelope: await envelopeBytes(n) };
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle));
}

async function collect(ids: AsyncIterable<CID>): Promise<string[]> {
  const out: string[] = [];
  for await (const id of ids) out.push(id.toString());
  return out;
}

describe('CAR export and import', () => {
  it('round-trips a chain: same ids, envelope bytes exactly as stored', async () => {
    const { store, ids, bytes } = await storeWith([1, 2, 3, 4]);
    const out = join(await makeTemp(), 'chain.car');
    const exported = await exportCar(store, ids, out);
    const sorted = ids.map(String).sort();
    expect(exported.ids.map(String)).toEqual(sorted);
    expect(exported.size).toBe((await readFile(out)).length);

    const target = new DirectoryStore(join(await makeTemp(), 'imported'));
    const imported = await importCar(out, target);
    expect(imported.root.equals(exported.root)).toBe(true);
    expect(imported.ids.map(String)).toEqual(sorted);
    for (const id of sorted) expect((await target.get(id)).envelopeBytes).toEqual(bytes.get(id));
  });

  it('writes the documented layout: one root, the index block, then payload and envelope per record', async () => {
    const { store, ids, bytes } = await storeWith([5, 6]);
    const out = join(await makeTemp(), 'chain.car');
    const { root } = await exportCar(store, ids, out);
    const reader = await CarReader.fromBytes(new Uint8Array(await readFile(out)));
    expect(reader.version).toBe(1);
    const roots = await reader.getRoots();
    expect(roots.map(String)).toEqual([root.toString()]);
    expect(root.code).toBe(JSON_CODEC);

    const blocks: { cid: CID; bytes: Uint8Array }[] = [];
    for await (const b of reader.blocks()) blocks.push(b);
    expect(blocks).toHaveLength(1 + 2 * ids.length);
    expect(blocks[0]!.cid.equals(root)).toBe(true);
    const index = JSON.parse(new TextDecoder().decode(blocks[0]!.bytes));
    const sorted = ids.map(String).sort();
    expect(index).toEqual({
      type: CAR_INDEX_TYPE,
      records: sorted.map((id) => ({ id, envelope: jsonCid(bytes.get(id)!).toString() })),
    });
    // Canonical JSON: keys sorted, no whitespace.
    expect(new TextDecoder().decode(blocks[0]!.bytes)).toBe(new TextDecoder().decode(canonicalJsonBytes(index)));
    sorted.forEach((id, i) => {
      const payload = blocks[1 + 2 * i]!;
      const envelope = blocks[2 + 2 * i]!;
      expect(payload.cid.toString()).toBe(id);
      expect(envelope.bytes).toEqual(bytes.get(id));
      expect(envelope.cid.code).toBe(JSON_CODEC);
    });
  });

  it('is deterministic: order and repetition of ids do not change the bytes', async () => {
    const { store, ids } = await storeWith([7, 8, 9]);
    const dir = await makeTemp();
    await exportCar(store, ids, join(dir, 'a.car'));
    await exportCar(store, [ids[2]!, ids[0]!, ids[1]!.toString(), ids[0]!], join(dir, 'b.car'));
    expect(await readFile(join(dir, 'a.car'))).toEqual(await readFile(join(dir, 'b.car')));
  });

  it('writes to a stream, and from a CAR store, giving the same bytes', async () => {
    const { store, ids } = await storeWith([10, 11]);
    const dir = await makeTemp();
    const path = join(dir, 'chain.car');
    await exportCar(store, ids, path);

    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await exportCar(store, (async function* () {
      yield* ids;
    })(), sink);
    expect(Buffer.concat(chunks)).toEqual(await readFile(path));

    const fromCar = join(dir, 'again.car');
    await exportCar(await CarStore.open(path), ids, fromCar);
    expect(await readFile(fromCar)).toEqual(await readFile(path));
  });

  it('exports nothing when a record is missing (no file is created)', async () => {
    const { store, ids } = await storeWith([12]);
    const dir = await makeTemp();
    await expectCode(exportCar(store, [ids[0]!, recordId(statement(999))], join(dir, 'x.car')), 'ERR_RECORD_NOT_FOUND');
    expect(await readdir(dir)).toEqual([]);
  });

  it('exports nothing from a damaged store', async () => {
    const { store, ids } = await storeWith([13, 14]);
    await writeFile(store.pathOf(ids[0]!), await readFile(store.pathOf(ids[1]!)));
    const dir = await makeTemp();
    await expectCode(exportCar(store, ids, join(dir, 'x.car')), 'ERR_RECORD_ID_MISMATCH');
    expect(await readdir(dir)).toEqual([]);
  });

  it('imports from bytes, and importing twice is harmless', async () => {
    const { store, ids } = await storeWith([15, 16]);
    const path = join(await makeTemp(), 'chain.car');
    await exportCar(store, ids, path);
    const target = new DirectoryStore(await makeTemp());
    const car = new Uint8Array(await readFile(path));
    await importCar(car, target);
    await importCar(car, target);
    expect((await collect(target.list())).sort()).toEqual(ids.map(String).sort());
  });

  it('an empty chain is a valid CAR', async () => {
    const { store } = await storeWith([]);
    const path = join(await makeTemp(), 'empty.car');
    await exportCar(store, [], path);
    const car = await CarStore.open(path);
    expect(await collect(car.list())).toEqual([]);
  });
});

describe('CarStore', () => {
  it('reads records, lists them sorted, and answers has()', async () => {
    const { store, ids, bytes } = await storeWith([20, 21, 22]);
    const path = join(await makeTemp(), 'chain.CAR');
    const { root } = await exportCar(store, ids, path);
    const car = await openStore(path);
    expect(car).toBeInstanceOf(CarStore);
    expect(car.writable).toBe(false);
    expect((car as CarStore).root.equals(root)).toBe(true);
    expect(await collect(car.list())).toEqual(ids.map(String).sort());
    for (const id of ids) {
      const record = await car.get(id);
      expect(record.envelopeBytes).toEqual(bytes.get(id.toString()));
      expect(recordId(record.payload).equals(id)).toBe(true);
      expect(await car.has(id)).toBe(true);
    }
    expect(await car.has(recordId(statement(999)))).toBe(false);
    await expectCode(car.get(recordId(statement(999))), 'ERR_RECORD_NOT_FOUND');
    expect(await (car as CarStore).verify()).toBe(3);
  });

  it('refuses put, even through a cast', async () => {
    const { store, ids } = await storeWith([23]);
    const path = join(await makeTemp(), 'chain.car');
    await exportCar(store, ids, path);
    const car = await CarStore.open(path);
    await expectCode((car as unknown as WritableRecordStore).put(await envelopeBytes(24)), 'ERR_READ_ONLY');
    await expect(importCar(path, car as unknown as WritableRecordStore)).rejects.toBeInstanceOf(TypeError);
  });

  it('reports a missing or non-file CAR by code', async () => {
    const dir = await makeTemp();
    await expectCode(CarStore.open(join(dir, 'absent.car')), 'ERR_NOT_FOUND');
    await expectCode(openStore(join(dir, 'absent.car')), 'ERR_NOT_FOUND');
    await expectCode(CarStore.open(dir), 'ERR_NOT_A_FILE');
  });
});

describe('tampered, truncated and hostile CARs', () => {
  async function exportedCar(ns: number[]) {
    const { store, ids, bytes } = await storeWith(ns);
    const path = join(await makeTemp(), 'chain.car');
    const { root } = await exportCar(store, ids, path);
    return { path, ids, bytes, root, car: new Uint8Array(await readFile(path)) };
  }

  it('a changed byte in an envelope block is refused on get, verify and import; nothing is imported', async () => {
    const { path, ids, bytes, car } = await exportedCar([30, 31]);
    const victim = ids[1]!.toString();
    const at = indexOf(car, bytes.get(victim)!);
    expect(at).toBeGreaterThan(0);
    const tampered = new Uint8Array(car);
    // Flip a byte inside the base64 payload: still a well-formed envelope.
    const payloadAt = at + new TextDecoder().decode(bytes.get(victim)!).indexOf('"payload": "') + 20;
    tampered[payloadAt] = car[payloadAt] === 0x41 ? 0x42 : 0x41;
    await writeFile(path, tampered);

    const store = await CarStore.open(path);
    await expectCode(store.get(victim), 'ERR_BLOCK_MISMATCH');
    await expectCode(store.verify(), 'ERR_BLOCK_MISMATCH');
    const target = new DirectoryStore(join(await makeTemp(), 'target'));
    const err = await expectCode(importCar(path, target), 'ERR_BLOCK_MISMATCH');
    expect((err as { exitCode?: number }).exitCode).toBe(1);
    expect(await collect(target.list())).toEqual([]);
  });

  it('a changed payload block is refused by verify and import', async () => {
    const { path, ids, car } = await exportedCar([32]);
    const payload = statement(32);
    const at = indexOf(car, payload);
    const tampered = new Uint8Array(car);
    tampered[at + 5] = car[at + 5]! ^ 0x01;
    await writeFile(path, tampered);
    const store = await CarStore.open(path);
    await store.get(ids[0]!); // the envelope block itself is intact
    await expectCode(store.verify(), 'ERR_BLOCK_MISMATCH');
    await expectCode(importCar(path, new DirectoryStore(await makeTemp())), 'ERR_BLOCK_MISMATCH');
  });

  it('a changed index block no longer matches the root', async () => {
    const { path, car, root } = await exportedCar([33]);
    const at = indexOf(car, utf8(CAR_INDEX_TYPE));
    const tampered = new Uint8Array(car);
    tampered[at + 8] = car[at + 8]! ^ 0x01;
    await writeFile(path, tampered);
    const err = await expectCode(CarStore.open(path), 'ERR_BLOCK_MISMATCH');
    expect(err.message).toContain(root.toString());
  });

  it('an envelope that carries another record under this id is refused', async () => {
    const a = await recordBlocks(34);
    const b = await recordBlocks(35);
    // Index says record A's envelope is B's (valid, hashing) envelope block.
    const entries = [{ id: jsonCid(a.payload), envelope: jsonCid(b.envelope) }];
    const index = encodeCarIndex(entries);
    const root = jsonCid(index);
    const car = await handCar([root], [
      { cid: root, bytes: index },
      { cid: jsonCid(a.payload), bytes: a.payload },
      { cid: jsonCid(b.envelope), bytes: b.envelope },
    ]);
    const store = await CarStore.open(car);
    await expectCode(store.get(jsonCid(a.payload)), 'ERR_RECORD_ID_MISMATCH');
    await expectCode(importCar(car, new DirectoryStore(await makeTemp())), 'ERR_RECORD_ID_MISMATCH');
  });

  it('a truncated CAR is refused at every cut', async () => {
    const { car } = await exportedCar([36, 37]);
    for (const cut of [0, 1, 5, 40, 60, Math.floor(car.length / 2), car.length - 1]) {
      const err = await expectCode(CarStore.open(car.subarray(0, cut)), 'ERR_MALFORMED');
      expect(err.message.length).toBeGreaterThan(0);
    }
  });

  it('files that are not CARs are refused', async () => {
    await expectCode(CarStore.open(new Uint8Array(0)), 'ERR_MALFORMED');
    await expectCode(CarStore.open(utf8('{"type":"https://provenant.dev/car/v1"}')), 'ERR_MALFORMED');
    await expectCode(CarStore.open(new Uint8Array(1000).fill(0xff)), 'ERR_MALFORMED');
    const { bytes, ids } = await storeWith([38]);
    await expectCode(CarStore.open(bytes.get(ids[0]!.toString())!), 'ERR_MALFORMED');
  });

  it('a header announced as huge is refused before it is read', async () => {
    const huge = new Uint8Array(16);
    varint.encodeTo(1 << 30, huge, 0);
    await expectCode(CarStore.open(huge), 'ERR_LIMIT_EXCEEDED');
  });

  it('structural lies are refused: missing blocks, extra blocks, other roots, other codecs', async () => {
    const a = await recordBlocks(40);
    const b = await recordBlocks(41);
    const { root, blocks } = validBlocks([a, b]);
    expect(await collect((await CarStore.open(await handCar([root], blocks))).list())).toHaveLength(2);

    // A record's envelope block is missing.
    await expectCode(CarStore.open(await handCar([root], blocks.slice(0, -1))), 'ERR_MALFORMED');
    // A record's payload block is missing.
    await expectCode(CarStore.open(await handCar([root], blocks.filter((_, i) => i !== 1))), 'ERR_MALFORMED');
    // The root block is missing.
    await expectCode(CarStore.open(await handCar([root], blocks.slice(1))), 'ERR_MALFORMED');
    // A block the index does not name.
    const extra = utf8('{"smuggled":true}');
    await expectCode(CarStore.open(await handCar([root], [...blocks, { cid: jsonCid(extra), bytes: extra }])), 'ERR_MALFORMED');
    // Two roots, or none.
    await expectCode(CarStore.open(await handCar([root, blocks[1]!.cid], blocks)), 'ERR_MALFORMED');
    await expectCode(CarStore.open(await handCar([], blocks)), 'ERR_MALFORMED');
    // A block with another codec (raw).
    const raw = CID.createV1(0x55, blocks[1]!.cid.multihash);
    await expectCode(CarStore.open(await handCar([root], [...blocks, { cid: raw, bytes: a.payload }])), 'ERR_MALFORMED');
    // A repeated block is legal CAR and harmless.
    expect(await (await CarStore.open(await handCar([root], [...blocks, blocks[2]!]))).verify()).toBe(2);
  });

  it('hostile index blocks are refused', async () => {
    const a = await recordBlocks(42);
    const b = await recordBlocks(43);
    const { blocks } = validBlocks([a, b]);
    const entries = [
      { id: blocks[1]!.cid.toString(), envelope: blocks[2]!.cid.toString() },
      { id: blocks[3]!.cid.toString(), envelope: blocks[4]!.cid.toString() },
    ].sort((x, y) => (x.id < y.id ? -1 : 1));
    const withIndex = async (text: string) => {
      const index = utf8(text);
      const root = jsonCid(index);
      return CarStore.open(await handCar([root], [{ cid: root, bytes: index }, ...blocks.slice(1)]));
    };
    const records = JSON.stringify(entries);
    await expectCode(withIndex(`{"records":${records},"type":"https://example.com/other"}`), 'ERR_MALFORMED');
    await expectCode(withIndex(`{"__proto__":{"polluted":1},"records":${records},"type":"${CAR_INDEX_TYPE}"}`), 'ERR_MALFORMED');
    await expectCode(withIndex(`{"records":${records},"type":"${CAR_INDEX_TYPE}","type":"${CAR_INDEX_TYPE}"}`), 'ERR_MALFORMED');
    await expectCode(withIndex(`{"records":${records},"type":"${CAR_INDEX_TYPE}","extra":1}`), 'ERR_MALFORMED');
    await expectCode(withIndex(`{"records":${JSON.stringify([...entries].reverse())},"type":"${CAR_INDEX_TYPE}"}`), 'ERR_MALFORMED');
    await expectCode(withIndex(`{"records":${JSON.stringify([entries[0], entries[0]])},"type":"${CAR_INDEX_TYPE}"}`), 'ERR_MALFORMED');
    await expectCode(withIndex(`{"records":[{"id":"../../x","envelope":"y"}],"type":"${CAR_INDEX_TYPE}"}`), 'ERR_MALFORMED');
    await expectCode(withIndex(`{"records":${records.replace('"id"', '"id2"')},"type":"${CAR_INDEX_TYPE}"}`), 'ERR_MALFORMED');
    await expectCode(withIndex(`{"records":${records},"type":"${CAR_INDEX_TYPE}"`), 'ERR_MALFORMED');
    await expectCode(withIndex('[]'), 'ERR_MALFORMED');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The well-formed index is accepted, so the refusals above are about the index.
    expect(await collect((await withIndex(`{"records":${records},"type":"${CAR_INDEX_TYPE}"}`)).list())).toHaveLength(2);
  });

  it('oversized index and envelope blocks are refused by the limits', async () => {
    const { car, bytes, ids } = await exportedCar([44, 45]);
    const envelopeSize = Math.max(...[...bytes.values()].map((b) => b.length));
    await expectCode(CarStore.open(car, { limits: { maxBytes: envelopeSize - 1 } }), 'ERR_LIMIT_EXCEEDED');
    await expectCode(CarStore.open(car, { limits: { maxIndexBytes: 64 } }), 'ERR_LIMIT_EXCEEDED');
    expect(await collect((await CarStore.open(car, { limits: { maxBytes: envelopeSize } })).list())).toHaveLength(ids.length);
  });

  it('an envelope block that is valid JSON but not an envelope is refused', async () => {
    const a = await recordBlocks(46);
    const notEnvelope = utf8('{"payload":"x"}');
    const entries = [{ id: jsonCid(a.payload), envelope: jsonCid(notEnvelope) }];
    const index = encodeCarIndex(entries);
    const root = jsonCid(index);
    const car = await handCar([root], [
      { cid: root, bytes: index },
      { cid: entries[0]!.id, bytes: a.payload },
      { cid: entries[0]!.envelope, bytes: notEnvelope },
    ]);
    await expectCode((await CarStore.open(car)).get(entries[0]!.id), 'ERR_MALFORMED');
    await expectCode(importCar(car, new DirectoryStore(await makeTemp())), 'ERR_MALFORMED');
  });
});
