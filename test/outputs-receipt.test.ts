/**
 * Output receipts in their two encodings, JSON and compact CBOR: round trips,
 * the CBOR layout, and hostile input (truncation at every length, trailing
 * bytes, unknown keys, non-minimal integers, random and mutated bytes): every
 * failure is a stable InputError, nothing crashes.
 */
import { decode as decodeCbor, encode as encodeCbor } from 'cborg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, importSigner } from '../src/envelope/keys.js';
import { toHex, utf8 } from '../src/lib/bytes.js';
import { InputError, ProvenantError } from '../src/lib/errors.js';
import { recordId } from '../src/records/id.js';
import { decodeReceipt, encodeReceipt, MAX_RECEIPT_BYTES, RECEIPT_TYPE, type OutputReceipt } from '../src/outputs/receipt.js';
import { createOutputSigner } from '../src/outputs/signer.js';
import { verifyOutputReceipt } from '../src/outputs/verify.js';
import { expectThrowCode } from './helpers.js';

const alice = await importSigner(generateKeyPair().privateKeyPem);
const keys = [alice.publicKey];
const MODEL = recordId(utf8('a model record')).toString();
const CONTENT = (i: number) => `receipt test output ${i}`;

const signer = await createOutputSigner({ model: MODEL, signer: alice, secret: 'a secret of at least sixteen bytes', batch: { maxItems: 13, maxDelayMs: 60_000 } });
const receipts: OutputReceipt[] = await Promise.all(
  Array.from({ length: 13 }, (_, i) => signer.sign({ content: CONTENT(i), mediaType: 'text/plain; charset=utf-8', parameters: { temperature: 0.25, seed: i }, prompt: `p${i}` })),
);
const receipt = receipts[6]!;

function decodeError(bytes: Uint8Array | string): ProvenantError | Error {
  try {
    decodeReceipt(bytes);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected decodeReceipt to throw');
}

/** The compact receipt as a CBOR map, as a generic encoder (cborg) is given it, with the envelope as key 6 when asked. */
function receiptMap(r: OutputReceipt, withEnvelope: boolean): Map<number, unknown> {
  const map = new Map<number, unknown>([
    [0, 1],
    [1, r.batch.bytes],
    [2, r.index],
    [3, r.size],
    [4, r.leafBytes],
    [5, [...r.proof]],
  ]);
  if (withEnvelope) {
    const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
    map.set(6, [r.envelope!.payloadType, b64(r.envelope!.payload), r.envelope!.signatures.map((s) => [s.keyid ?? null, b64(s.sig)])]);
  }
  return map;
}

describe('receipt encodings', () => {
  for (const format of ['json', 'cbor'] as const) {
    for (const envelope of [true, false]) {
      it(`round-trips as ${format}${envelope ? '' : ' without the envelope'}`, async () => {
        const bytes = encodeReceipt(receipt, format, { envelope });
        const back = decodeReceipt(bytes);
        expect(back.batch.equals(receipt.batch)).toBe(true);
        expect([back.index, back.size]).toEqual([6, 13]);
        expect(back.leafBytes).toEqual(receipt.leafBytes);
        expect(back.leaf).toEqual(receipt.leaf);
        expect(back.proof.map(toHex)).toEqual(receipt.proof.map(toHex));
        expect(back.envelope === undefined).toBe(!envelope);
        if (envelope) {
          expect(back.envelope!.payload).toBe(receipt.envelope!.payload);
          await verifyOutputReceipt(CONTENT(6), bytes, { keys });
        } else {
          await verifyOutputReceipt(CONTENT(6), bytes, { keys, batch: receipt.envelope! });
        }
        // Encoding what was decoded gives the same bytes.
        expect(encodeReceipt(back, format, { envelope })).toEqual(bytes);
      });
    }
  }

  it('writes the documented JSON fields and CBOR keys; CBOR is the smaller', () => {
    const json = JSON.parse(new TextDecoder().decode(encodeReceipt(receipt, 'json')));
    expect(Object.keys(json)).toEqual(['_type', 'batch', 'index', 'size', 'leaf', 'proof', 'envelope']);
    expect(json._type).toBe(RECEIPT_TYPE);
    expect(json.batch).toBe(receipt.batch.toString());
    expect(json.leaf).toBe(new TextDecoder().decode(receipt.leafBytes));
    const cbor = encodeReceipt(receipt, 'cbor');
    const map = decodeCbor(cbor, { useMaps: true }) as Map<number, unknown>;
    expect([...map.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(map.get(0)).toBe(1);
    expect(map.get(1)).toEqual(receipt.batch.bytes);
    expect(map.get(4)).toEqual(receipt.leafBytes);
    const env = map.get(6) as [string, Uint8Array, [string | null, Uint8Array][]];
    expect(env[0]).toBe('application/vnd.in-toto+json');
    expect(cbor.length).toBeLessThan(encodeReceipt(receipt, 'json').length * 0.8);
    expect(encodeReceipt(receipt, 'cbor', { envelope: false }).length).toBeLessThan(cbor.length);
    expect(() => encodeReceipt(receipt, 'xml' as never)).toThrow(TypeError);
  });

  it('writes the compact form byte for byte as cborg encodes the same map (deterministic CBOR)', () => {
    for (const r of [receipts[0]!, receipts[12]!, receipt]) {
      expect(encodeReceipt(r, 'cbor', { envelope: false })).toEqual(encodeCbor(receiptMap(r, false)));
      expect(encodeReceipt(r, 'cbor')).toEqual(encodeCbor(receiptMap(r, true)));
    }
    // Large values take the longer heads: a 300-byte leaf, an index above 255 and 65535.
    const big = { ...receipt, index: 70_000, size: 70_001, leafBytes: new Uint8Array(300), proof: receipt.proof, leaf: receipt.leaf };
    expect(encodeReceipt(big, 'cbor', { envelope: false })).toEqual(encodeCbor(receiptMap(big, false)));
  });

  it('encodes a fresh batch receipt (leaf still text, proof still in the tree) to the same bytes as one already read', async () => {
    const fresh = await createOutputSigner({ model: MODEL, signer: alice, batch: { maxItems: 37, maxDelayMs: 60_000 } });
    // A leaf beyond ASCII (UTF-8 of 2 and 3 bytes), and a tree whose lone last node is carried up.
    const make = () =>
      Promise.all(Array.from({ length: 37 }, (_, i) => fresh.sign({ content: `out ${i}`, mediaType: 'text/plain', parameters: { stop: i % 2 ? 'ende – Schluß' : '終', seed: i } })));
    for (const withEnvelope of [false, true]) {
      const batch = await make();
      // Encoded first, from the tree and the text; then the same receipts read and encoded again.
      const fast = batch.map((r) => encodeReceipt(r, 'cbor', { envelope: withEnvelope }));
      batch.forEach((r, i) => {
        expect(fast[i]).toEqual(encodeCbor(receiptMap(r, withEnvelope)));
        expect(encodeReceipt(r, 'cbor', { envelope: withEnvelope })).toEqual(fast[i]);
      });
    }
  });
});

describe('hostile receipts', () => {
  const cbor = encodeReceipt(receipt, 'cbor');
  const json = encodeReceipt(receipt, 'json');

  it('refuses a compact receipt truncated at every length', () => {
    for (let n = 0; n < cbor.length; n++) {
      const err = decodeError(cbor.subarray(0, n));
      expect(err, `truncated to ${n}`).toBeInstanceOf(InputError);
      expect((err as InputError).code).toBe('ERR_MALFORMED');
    }
    for (let n = 0; n < json.length; n += 7) expect((decodeError(json.subarray(0, n)) as InputError).code).toBe('ERR_MALFORMED');
  });

  it('refuses trailing bytes, unknown keys, a wrong version, non-minimal integers and tags', () => {
    expectThrowCode(() => decodeReceipt(Uint8Array.of(...cbor, 0x00)), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(utf8(`${new TextDecoder().decode(json)} x`)), 'ERR_MALFORMED');
    const map = decodeCbor(cbor, { useMaps: true }) as Map<number, unknown>;
    const reencode = (change: (m: Map<unknown, unknown>) => void) => {
      const m = new Map<unknown, unknown>(map);
      change(m);
      return encodeCbor(m);
    };
    expect(decodeReceipt(reencode(() => {})).index).toBe(6);
    expectThrowCode(() => decodeReceipt(reencode((m) => m.set(7, 1))), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(reencode((m) => m.set('x', 1))), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(reencode((m) => m.set(0, 2))), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(reencode((m) => m.set(2, 13))), 'ERR_MALFORMED'); // index == size
    expectThrowCode(() => decodeReceipt(reencode((m) => m.set(2, -1))), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(reencode((m) => m.set(3, 2 ** 40))), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(reencode((m) => m.set(1, utf8('bagaaiera')))), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(reencode((m) => m.set(4, utf8('{"not":"a leaf"}')))), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(reencode((m) => m.set(5, [new Uint8Array(31)]))), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(reencode((m) => m.set(5, Array.from({ length: 25 }, () => new Uint8Array(32))))), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(reencode((m) => m.set(6, ['x', new Uint8Array(1), []]))), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(reencode((m) => m.delete(4))), 'ERR_MALFORMED');
    // 0xa7 map(7), then key 0 as a non-minimal one-byte integer (0x18 0x00).
    expect(cbor[0]).toBe(0xa7);
    expectThrowCode(() => decodeReceipt(Uint8Array.of(0xa7, 0x18, 0x00, ...cbor.subarray(2))), 'ERR_MALFORMED');
    // A tag in front of the map.
    expectThrowCode(() => decodeReceipt(Uint8Array.of(0xd8, 0x2a, ...cbor)), 'ERR_MALFORMED');
    // A CBOR array instead of a map, and deep nesting.
    expectThrowCode(() => decodeReceipt(encodeCbor([1, 2, 3])), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(new Uint8Array(100_000).fill(0x81)), 'ERR_MALFORMED');
    expectThrowCode(() => decodeReceipt(new Uint8Array(MAX_RECEIPT_BYTES + 1)), 'ERR_LIMIT_EXCEEDED');
  });

  it('refuses JSON receipts with extra fields, duplicate keys, bad hex or a wrong type', () => {
    const value = JSON.parse(new TextDecoder().decode(json));
    const bad = (v: unknown) => expectThrowCode(() => decodeReceipt(JSON.stringify(v)), 'ERR_MALFORMED');
    bad({ ...value, extra: 1 });
    bad({ ...value, _type: 'https://provenant.dev/output-receipt/v2' });
    bad({ ...value, proof: [value.proof[0].toUpperCase()] });
    bad({ ...value, index: 1.5 });
    bad({ ...value, leaf: JSON.parse(value.leaf) });
    bad({ ...value, envelope: { payload: 'x' } });
    bad([value]);
    expectThrowCode(() => decodeReceipt(new TextDecoder().decode(json).replace('{', '{"index":0,')), 'ERR_MALFORMED');
  });

  it('property: random bytes never crash the decoder: it returns or throws an InputError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeReceipt(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a mutated compact receipt is refused by the decoder or by verification, never accepted for other bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(cbor.length - 1), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const mutated = new Uint8Array(cbor);
        mutated[at]! ^= xor;
        let decoded: OutputReceipt;
        try {
          decoded = decodeReceipt(mutated);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
          return;
        }
        try {
          await verifyOutputReceipt(CONTENT(6), decoded, { keys });
        } catch (err) {
          expect(err).toBeInstanceOf(ProvenantError);
          return;
        }
        // Only the unsigned keyid hint may change without consequence.
        expect(decoded.leafBytes).toEqual(receipt.leafBytes);
        expect(decoded.batch.equals(receipt.batch)).toBe(true);
        expect(decoded.proof.map(toHex)).toEqual(receipt.proof.map(toHex));
      }),
      { numRuns: 1500 },
    );
  });

  it('every receipt of the batch verifies after a CBOR round trip, and only for its own content', async () => {
    for (const [i, r] of receipts.entries()) {
      const back = decodeReceipt(encodeReceipt(r, 'cbor'));
      await verifyOutputReceipt(CONTENT(i), back, { keys });
      await expect(verifyOutputReceipt(CONTENT((i + 1) % 13), back, { keys })).rejects.toMatchObject({ code: 'ERR_DIGEST_MISMATCH' });
    }
  });
});
