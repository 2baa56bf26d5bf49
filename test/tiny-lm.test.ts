import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CORPUS_DIR,
  DATASETS,
  decodeSafetensors,
  encodeSafetensors,
  FORMAT,
  generate,
  load,
  MAX_HEADER_BYTES,
  mulberry32,
  perplexity,
  readCorpus,
  save,
  tensorValues,
  train,
  UNK,
  type TensorInput,
  type TinyLm,
} from '../examples/tiny-lm/index.mjs';

// The tiny character-level language model of examples/tiny-lm: our own
// safetensors writer and strict reader, training on the bundled corpus,
// deterministic bytes and generation, and a check of our files by an
// independent Python reader.

const utf8 = (s: string) => new TextEncoder().encode(s);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The error `fn` throws (fails the test if it returns). */
function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error, nothing was thrown');
}

function expectMalformed(fn: () => unknown): void {
  const err = thrown(fn);
  expect(err.name, err.message).toBe('InputError');
  expect(err.code, err.message).toBe('ERR_MALFORMED');
}

/** A safetensors file with header length `length` (default: the header's), header text and buffer, unpadded. */
function file(header: string | Uint8Array, buffer: Uint8Array = new Uint8Array(0), length?: bigint): Uint8Array {
  const h = typeof header === 'string' ? utf8(header) : header;
  const out = new Uint8Array(8 + h.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(buffer, 8 + h.length);
  return out;
}

const f32 = (name: string, n: number, begin: number) =>
  `${JSON.stringify(name)}:{"dtype":"F32","shape":[${n}],"data_offsets":[${begin},${begin + 4 * n}]}`;

const corpus: Record<string, string[]> = {};
beforeAll(async () => {
  for (const name of DATASETS) corpus[name] = await readCorpus(join(CORPUS_DIR, name));
});
const ds = (name: string): string[] => corpus[name] ?? [];

describe('safetensors: writer', () => {
  it('round-trips every supported dtype, metadata, scalars and empty tensors', () => {
    const tensors: Record<string, TensorInput> = {
      f32: { dtype: 'F32', shape: [2, 3], data: new Float32Array([0, -1.5, 3.25, Math.fround(Math.PI), -0, 1e-30]) },
      f64: { dtype: 'F64', shape: [2], data: new Float64Array([Math.E, -1e300]) },
      i64: { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 62n + 1n]) },
      u64: { dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
      i32: { dtype: 'I32', shape: [3], data: new Int32Array([-2147483648, 0, 2147483647]) },
      u32: { dtype: 'U32', shape: [1], data: new Uint32Array([4294967295]) },
      i16: { dtype: 'I16', shape: [2], data: new Int16Array([-32768, 32767]) },
      u16: { dtype: 'U16', shape: [1], data: new Uint16Array([65535]) },
      i8: { dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) },
      u8: { dtype: 'U8', shape: [4], data: new Uint8Array([0, 1, 254, 255]) },
      bool: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
      scalar: { dtype: 'F32', shape: [], data: new Float32Array([42]) },
      empty: { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
      __proto__x: { dtype: 'U8', shape: [1], data: new Uint8Array([9]) },
    };
    const bytes = encodeSafetensors(tensors, { b: 'two', a: 'one', '': 'empty key', 'ü': 'ß ✓' });
    const { tensors: got, metadata } = decodeSafetensors(bytes);
    expect([...got.keys()]).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const g = got.get(name);
      expect(g?.dtype).toBe(t.dtype);
      expect(g?.shape).toEqual(t.shape);
      expect(tensorValues(g!)).toEqual(t.data);
    }
    expect({ ...metadata }).toEqual({ a: 'one', b: 'two', '': 'empty key', 'ü': 'ß ✓' });
  });

  it('reads F16 and BF16 (written as raw bytes) as Float32Array', () => {
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x0000, 0x7c00, 0xfc00]).buffer);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040, 0x0000, 0x4049]).buffer);
    const { tensors } = decodeSafetensors(
      encodeSafetensors({ h: { dtype: 'F16', shape: [8], data: half }, b: { dtype: 'BF16', shape: [2, 2], data: bf16 } }),
    );
    expect([...tensorValues(tensors.get('h')!)]).toEqual([1, -2, 0.5, 65504, 2 ** -24, 0, Infinity, -Infinity]);
    expect([...tensorValues(tensors.get('b')!)]).toEqual([1, -3, 0, 3.140625]);
  });

  it('writes a canonical layout: sorted names, metadata first, space padding to 8 bytes, contiguous offsets', () => {
    const bytes = encodeSafetensors(
      new Map<string, TensorInput>([
        ['b', { dtype: 'F32', shape: [1], data: new Float32Array([2]) }],
        ['10', { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) }],
        ['9', { dtype: 'I32', shape: [1], data: new Int32Array([7]) }],
        ['a', { dtype: 'F64', shape: [1], data: new Float64Array([1]) }],
      ]),
      { z: '1', m: '2' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.startsWith('{"__metadata__":{"m":"2","z":"1"},"10":')).toBe(true);
    expect(text.trimEnd().endsWith('}')).toBe(true);
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    const header = JSON.parse(text) as Record<string, { data_offsets: [number, number] }>;
    // Keys in sorted string order (not JS object order, which puts "9", "10" first).
    expect([...text.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1])).toEqual(['10', '9', 'a', 'b']);
    expect(header['10']!.data_offsets).toEqual([0, 3]);
    expect(header['9']!.data_offsets).toEqual([3, 7]);
    expect(header.a!.data_offsets).toEqual([7, 15]);
    expect(header.b!.data_offsets).toEqual([15, 19]);
    expect(bytes.length).toBe(8 + n + 19);
  });

  it('is deterministic: the same tensors in any order give the same bytes', () => {
    const a = { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } as const;
    const b = { dtype: 'U8', shape: [1], data: new Uint8Array([3]) } as const;
    const one = encodeSafetensors({ a, b }, { x: '1', y: '2' });
    const two = encodeSafetensors(new Map([['b', b], ['a', a]] as [string, TensorInput][]), { y: '2', x: '1' });
    expect(sha256(two)).toBe(sha256(one));
  });

  it('refuses programmer mistakes with TypeError / RangeError', () => {
    const ok = new Float32Array([1, 2]);
    expect(() => encodeSafetensors({ t: { dtype: 'F32', shape: [3], data: ok } })).toThrow(RangeError);
    expect(() => encodeSafetensors({ t: { dtype: 'F32', shape: [2], data: new Float64Array(2) } })).toThrow(TypeError);
    expect(() => encodeSafetensors({ t: { dtype: 'F8' as 'F32', shape: [2], data: ok } })).toThrow(TypeError);
    expect(() => encodeSafetensors({ t: { dtype: 'F32', shape: [-2], data: ok } })).toThrow(TypeError);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [2], data: ok } })).toThrow(TypeError);
    expect(() => encodeSafetensors({}, { k: 1 as unknown as string })).toThrow(TypeError);
  });
});

describe('safetensors: the strict reader', () => {
  it('accepts an empty file ({} and no buffer), padding and whitespace in the header', () => {
    expect(decodeSafetensors(file('{}')).tensors.size).toBe(0);
    expect(decodeSafetensors(file('{}      ')).tensors.size).toBe(0);
    const pretty = `{\n  "__metadata__": {"format": "pt"},\n  ${f32('w', 1, 0)}\n}   `;
    const got = decodeSafetensors(file(pretty, new Uint8Array(new Float32Array([5]).buffer)));
    expect(got.metadata.format).toBe('pt');
    expect([...tensorValues(got.tensors.get('w')!)]).toEqual([5]);
  });

  it('treats names like __proto__ as plain data', () => {
    const got = decodeSafetensors(file(`{"__metadata__":{"__proto__":"x"},${f32('__proto__', 1, 0)}}`, new Uint8Array(4)));
    expect(got.tensors.has('__proto__')).toBe(true);
    expect(got.metadata['__proto__']).toBe('x');
    expect(Object.getPrototypeOf(got.metadata)).toBe(null);
  });

  const four = new Uint8Array(4);
  const eight = new Uint8Array(8);
  const twelve = new Uint8Array(12);
  const cases: [string, Uint8Array][] = [
    ['an empty file', new Uint8Array(0)],
    ['a 7-byte file', new Uint8Array(7)],
    ['a header length beyond the file', file('{}', new Uint8Array(0), 3n)],
    ['a header length one past the file', file(`{${f32('w', 1, 0)}}`, four, BigInt(`{${f32('w', 1, 0)}}`.length + 5))],
    ['a header length above 100 MB', file('{}', new Uint8Array(0), BigInt(MAX_HEADER_BYTES + 1))],
    ['a header length of 2^64 - 1', file('{}', new Uint8Array(0), 2n ** 64n - 1n)],
    ['a zero-length header', file('')],
    ['a header of spaces', file('        ')],
    ['a header not starting with {', file(' {}')],
    ['a header that is an array', file('[]')],
    ['a header that is a string', file('"{}"')],
    ['a header with a byte-order mark', file('\uFEFF{}')],
    ['a header that is not UTF-8', file(new Uint8Array([0x7b, 0xff, 0x7d]))],
    ['non-JSON: a missing value', file('{"a":}')],
    ['non-JSON: an unterminated object', file('{"a":{}')],
    ['non-JSON: a trailing comma', file('{"__metadata__":{"a":"b",}}')],
    ['non-JSON: single quotes', file("{'a':{}}")],
    ['non-JSON: a raw control character in a string', file('{"__metadata__":{"a":"\u0001"}}')],
    ['non-JSON: a bad escape', file('{"__metadata__":{"a":"\\x41"}}')],
    ['non-JSON: a leading zero', file('{"w":{"dtype":"U8","shape":[01],"data_offsets":[0,1]}}', new Uint8Array(1))],
    ['non-JSON: NaN', file('{"w":{"dtype":"U8","shape":[NaN],"data_offsets":[0,1]}}', new Uint8Array(1))],
    ['trailing characters after the object', file('{} x')],
    ['two objects', file('{}{}')],
    ['nesting too deep', file(`{"__metadata__":${'['.repeat(5000)}${']'.repeat(5000)}}`)],
    ['duplicate tensor names', file(`{${f32('w', 1, 0)},${f32('w', 1, 4)}}`, eight)],
    ['duplicate names spelled differently', file(`{${f32('w', 1, 0)},"\\u0077":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight)],
    ['a duplicate field in a tensor', file('{"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', four)],
    ['a duplicate metadata key', file('{"__metadata__":{"a":"1","a":"2"}}')],
    ['two __metadata__ entries', file('{"__metadata__":{},"__metadata__":{}}')],
    ['an unknown dtype', file('{"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}', four)],
    ['a lower-case dtype', file('{"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}', four)],
    ['an unsupported dtype (F8_E4M3)', file('{"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}', four)],
    ['a dtype that is a number', file('{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}', four)],
    ['a dtype named like an Object method', file('{"w":{"dtype":"toString","shape":[1],"data_offsets":[0,4]}}', four)],
    ['a missing dtype', file('{"w":{"shape":[1],"data_offsets":[0,4]}}', four)],
    ['a missing shape', file('{"w":{"dtype":"F32","data_offsets":[0,4]}}', four)],
    ['missing data_offsets', file('{"w":{"dtype":"F32","shape":[1]}}', four)],
    ['an unknown field in a tensor', file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}', four)],
    ['a tensor entry that is not an object', file('{"w":[0,4]}', four)],
    ['a shape that is not an array', file('{"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}', four)],
    ['a negative dimension', file('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', four)],
    ['a fractional dimension', file('{"w":{"dtype":"F32","shape":[0.5],"data_offsets":[0,2]}}', new Uint8Array(2))],
    ['a dimension product above 2^53', file('{"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,4]}}', four)],
    ['offsets too short for shape × dtype', file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', four)],
    ['offsets too long for shape × dtype', file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}', eight)],
    ['offsets that end before they begin', file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}', eight)],
    ['one offset', file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[4]}}', four)],
    ['three offsets', file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}', four)],
    ['negative offsets', file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', four)],
    ['string offsets', file('{"w":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}', four)],
    ['huge offsets', file('{"w":{"dtype":"U8","shape":[1],"data_offsets":[1e300,1e300]}}', four)],
    ['overlapping tensors', file(`{${f32('a', 2, 0)},${f32('b', 2, 4)}}`, twelve)],
    ['two tensors at the same offsets', file(`{${f32('a', 1, 0)},${f32('b', 1, 0)}}`, four)],
    ['a gap between tensors', file(`{${f32('a', 1, 0)},${f32('b', 1, 8)}}`, twelve)],
    ['a gap at the start', file(`{${f32('a', 1, 4)}}`, eight)],
    ['offsets past the end of the buffer', file(`{${f32('a', 2, 0)}}`, four)],
    ['trailing bytes after the last tensor', file(`{${f32('a', 1, 0)}}`, eight)],
    ['a buffer with no tensors', file('{}', four)],
    ['a metadata value that is a number', file('{"__metadata__":{"a":1}}')],
    ['a metadata value that is null', file('{"__metadata__":{"a":null}}')],
    ['a metadata value that is an object', file('{"__metadata__":{"a":{}}}')],
    ['metadata that is a string', file('{"__metadata__":"a"}')],
    ['metadata that is an array', file('{"__metadata__":["a"]}')],
    ['metadata that is null', file('{"__metadata__":null}')],
  ];

  it.each(cases)('rejects %s with ERR_MALFORMED', (_name, bytes) => {
    expectMalformed(() => decodeSafetensors(bytes));
  });

  it('names the problem in the message', () => {
    expect(thrown(() => decodeSafetensors(new Uint8Array(3))).message).toMatch(/truncated/);
    expect(thrown(() => decodeSafetensors(file('{}', new Uint8Array(0), 2n ** 40n))).message).toMatch(/limit/);
    expect(thrown(() => decodeSafetensors(file(`{${f32('w', 1, 0)},${f32('w', 1, 4)}}`, eight))).message).toMatch(/duplicate key "w"/);
    expect(thrown(() => decodeSafetensors(file('{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1)))).message).toMatch(
      /unknown or unsupported dtype "Q4"/,
    );
    expect(thrown(() => decodeSafetensors(file(`{${f32('a', 2, 0)},${f32('b', 2, 4)}}`, twelve))).message).toMatch(/overlap/);
    expect(thrown(() => decodeSafetensors(file('{"__metadata__":{"a":1}}'))).message).toMatch(/metadata "a" must be a string/);
  });

  it('throws TypeError, not ERR_MALFORMED, for a non-Uint8Array argument (a programmer mistake)', () => {
    expect(() => decodeSafetensors('{}' as unknown as Uint8Array)).toThrow(TypeError);
  });

  /** The reader either returns or throws ERR_MALFORMED; nothing else. */
  function readOrMalformed(bytes: Uint8Array): void {
    try {
      decodeSafetensors(bytes);
    } catch (err) {
      const e = err as Error & { code?: string };
      expect(e.code, `${e.name}: ${e.message}`).toBe('ERR_MALFORMED');
    }
  }

  it('random bytes: returns or throws ERR_MALFORMED (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => readOrMalformed(bytes)),
      { numRuns: 500 },
    );
    // With a header length that fits the file.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(), (body, at) => readOrMalformed(file(body, new Uint8Array(0), BigInt(at % (body.length + 1))))),
      { numRuns: 500 },
    );
  });

  it('random JSON headers and tensor-like entries: returns or throws ERR_MALFORMED (fast-check)', () => {
    fc.assert(
      fc.property(fc.json(), fc.uint8Array({ maxLength: 32 }), (json, buffer) => readOrMalformed(file(json, buffer))),
      { numRuns: 500 },
    );
    const dim = fc.oneof(fc.nat(6), fc.integer({ min: -2, max: 2 }), fc.double(), fc.constant(2 ** 53));
    const entry = fc.record(
      {
        dtype: fc.oneof(fc.constantFrom('F32', 'U8', 'I64', 'F16', 'BF16', 'BOOL', 'F8_E5M2', 'x'), fc.string(), fc.nat()),
        shape: fc.oneof(fc.array(dim, { maxLength: 3 }), fc.anything()),
        data_offsets: fc.oneof(fc.tuple(fc.nat(40), fc.nat(40)), fc.array(fc.integer({ min: -5, max: 40 }), { maxLength: 3 }), fc.anything()),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const header = fc.dictionary(fc.oneof(fc.constantFrom('__metadata__', 'a', 'b'), fc.string()), fc.oneof(entry, fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.anything()))), {
      maxKeys: 4,
    });
    fc.assert(
      fc.property(header, fc.nat(48), (h, size) => readOrMalformed(file(JSON.stringify(h), new Uint8Array(size)))),
      { numRuns: 1000 },
    );
  });
});

describe('tiny-lm: the corpus', () => {
  it('has three small datasets of 2–3 .txt files each, a few KB in all', () => {
    expect(DATASETS).toEqual(['poems', 'recipes', 'spam']);
    let total = 0;
    for (const name of DATASETS) {
      const files = readdirSync(join(CORPUS_DIR, name));
      expect(files.length).toBeGreaterThanOrEqual(2);
      expect(files.length).toBeLessThanOrEqual(3);
      for (const f of files) {
        expect(f).toMatch(/\.txt$/);
        total += statSync(join(CORPUS_DIR, name, f)).size;
      }
      expect(ds(name)).toHaveLength(files.length);
    }
    expect(total).toBeGreaterThan(2_000);
    expect(total).toBeLessThan(10_000);
  });
});

describe('tiny-lm: training, saving and loading', () => {
  it('builds a sorted vocabulary with UNK first and normalized float32 log-probabilities', () => {
    const model = train(['hello', 'world']);
    expect(model.vocab).toEqual([UNK, 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    const V = model.vocab.length;
    expect(model.initial).toBeInstanceOf(Float32Array);
    expect(model.logits).toHaveLength(V * V);
    const rowSum = (row: Float32Array) => row.reduce((s, x) => s + Math.exp(x), 0);
    expect(rowSum(model.initial)).toBeCloseTo(1, 5);
    for (let p = 0; p < V; p++) expect(rowSum(model.logits.subarray(p * V, (p + 1) * V))).toBeCloseTo(1, 5);
    // 'l' is followed by 'l', 'o' and 'd' once each: with k = 0.1 and V = 8, P(l|l) = 1.1 / (3 + 0.8).
    const l = model.vocab.indexOf('l');
    expect(Math.exp(model.logits[l * V + l]!)).toBeCloseTo(1.1 / 3.8, 6);
    expect(model.trainingTexts).toBe(2);
    expect(model.trainingChars).toBe(10);
  });

  it('handles characters outside the BMP and lone surrogates', () => {
    const model = train(['a🔥b\uD800c']);
    expect(model.vocab).toEqual([UNK, 'a', 'b', 'c', '🔥']);
    expect(model.trainingChars).toBe(5);
    expect(load(save(model)).vocab).toEqual(model.vocab);
  });

  it('save → load → save is byte-identical and keeps every value', () => {
    const model = train([...ds('poems'), ...ds('recipes')]);
    const bytes = save(model);
    const back = load(bytes);
    expect(back.vocab).toEqual(model.vocab);
    expect(back.initial).toEqual(model.initial);
    expect(back.logits).toEqual(model.logits);
    expect(back.k).toBe(model.k);
    expect(back.trainingTexts).toBe(6);
    expect(back.trainingChars).toBe(model.trainingChars);
    expect(sha256(save(back))).toBe(sha256(bytes));
    expect(perplexity(back, ds('poems')[0]!)).toBe(perplexity(model, ds('poems')[0]!));
  });

  it('writes tensors initial F32 [V], logits F32 [V, V], vocab U8 (UTF-8) and string metadata', () => {
    const model = train(ds('recipes'));
    const V = model.vocab.length;
    const { tensors, metadata } = decodeSafetensors(save(model));
    expect([...tensors.keys()]).toEqual(['initial', 'logits', 'vocab']);
    expect(tensors.get('initial')).toMatchObject({ dtype: 'F32', shape: [V] });
    expect(tensors.get('logits')).toMatchObject({ dtype: 'F32', shape: [V, V] });
    expect(tensors.get('vocab')?.dtype).toBe('U8');
    expect(new TextDecoder().decode(tensors.get('vocab')!.data)).toBe(model.vocab.join(''));
    expect(model.vocab).toContain('°');
    expect(model.vocab).toContain('è');
    expect({ ...metadata }).toEqual({
      architecture: 'char-bigram',
      format: FORMAT,
      format_version: '1',
      k: '0.1',
      training_chars: String(model.trainingChars),
      training_texts: '3',
    });
  });

  it('is deterministic: the same texts give byte-identical safetensors (pinned digest)', () => {
    const a = save(train(ds('poems')));
    const b = save(train([...ds('poems')]));
    expect(sha256(b)).toBe(sha256(a));
    // Counts do not depend on the order of the texts.
    expect(sha256(save(train([...ds('poems')].reverse())))).toBe(sha256(a));
    // Pinned: the weights digest a provenance record of this model names.
    // It changes only if the poems corpus or the model code changes.
    expect(sha256(a)).toBe('621324e3a2a2304f7f4b6b6fe05eaed3eaaac59a979cb2adbb5af37b6b69e527');
    expect(a.length).toBe(7620);
  });

  it('a model trained on dataset A differs from one trained on A + B', () => {
    const a = train(ds('poems'));
    const ab = train([...ds('poems'), ...ds('recipes')]);
    const as = train([...ds('poems'), ...ds('spam')]);
    expect(sha256(save(ab))).not.toBe(sha256(save(a)));
    expect(sha256(save(as))).not.toBe(sha256(save(a)));
    expect(sha256(save(as))).not.toBe(sha256(save(ab)));
    expect(ab.vocab.length).toBeGreaterThan(a.vocab.length);
    // Even on a shared vocabulary, the weights differ.
    const aShared = train(ds('poems'), { vocab: ab.vocab });
    expect(aShared.vocab).toEqual(ab.vocab);
    expect(aShared.logits).not.toEqual(ab.logits);
  });

  it('rejects bad training arguments', () => {
    expect(() => train('text' as unknown as string[])).toThrow(TypeError);
    expect(() => train([1 as unknown as string])).toThrow(TypeError);
    expect(() => train(['x'], { k: 0 })).toThrow(RangeError);
    expect(() => train(['x'], { k: Number.NaN })).toThrow(RangeError);
    expect(() => train(['x'], { vocab: ['ab'] })).toThrow(TypeError);
  });
});

describe('tiny-lm: training works (perplexity on held-out text)', () => {
  it('lowers perplexity on a held-out poem far below the untrained uniform model', () => {
    const [p1, p2, heldOut] = ds('poems') as [string, string, string];
    const model = train([p1, p2]);
    const uniform = train([], { vocab: model.vocab });
    const V = model.vocab.length;
    const trained = perplexity(model, heldOut);
    const untrained = perplexity(uniform, heldOut);
    console.log(`held-out poem: perplexity ${trained.toFixed(2)} trained on 2 poems vs ${untrained.toFixed(2)} uniform (V = ${V})`);
    expect(untrained).toBeCloseTo(V, 3);
    expect(trained).toBeLessThan(untrained / 3);
    expect(trained).toBeLessThan(12);
    // The training text itself scores better still.
    expect(perplexity(model, p1)).toBeLessThan(trained);
  });

  it('in-domain beats out-of-domain, and more data helps', () => {
    const poems = ds('poems');
    const recipes = ds('recipes');
    const onPoems = train(poems.slice(0, 2));
    const onRecipes = train(recipes.slice(0, 2));
    const onBoth = train([...poems.slice(0, 2), ...recipes.slice(0, 2)]);
    const heldPoem = poems[2]!;
    const heldRecipe = recipes[2]!;
    const table = {
      'poem model / held-out poem': perplexity(onPoems, heldPoem),
      'recipe model / held-out poem': perplexity(onRecipes, heldPoem),
      'recipe model / held-out recipe': perplexity(onRecipes, heldRecipe),
      'poem model / held-out recipe': perplexity(onPoems, heldRecipe),
      'poem+recipe model / held-out poem': perplexity(onBoth, heldPoem),
      'poem+recipe model / held-out recipe': perplexity(onBoth, heldRecipe),
    };
    console.log(Object.entries(table).map(([k, v]) => `${k}: ${v.toFixed(2)}`).join('\n'));
    expect(table['poem model / held-out poem']).toBeLessThan(table['recipe model / held-out poem']);
    expect(table['recipe model / held-out recipe']).toBeLessThan(table['poem model / held-out recipe']);
    expect(table['poem+recipe model / held-out recipe']).toBeLessThan(table['recipe model / held-out recipe']);
  });

  it('scores unseen characters as UNK and refuses an empty text', () => {
    const model = train(['abab']);
    expect(Number.isFinite(perplexity(model, 'xyz 🔥'))).toBe(true);
    expect(() => perplexity(model, '')).toThrow(RangeError);
  });
});

describe('tiny-lm: generation', () => {
  let model: TinyLm;
  beforeAll(() => {
    model = train(ds('poems'));
  });

  it('is deterministic given the seed (pinned sample), and the seed matters', () => {
    const opts = { prompt: 'The ', maxTokens: 60, temperature: 0.8, seed: 7 };
    const text = generate(model, opts);
    expect(generate(model, opts)).toBe(text);
    expect(generate(load(save(model)), opts)).toBe(text);
    expect(text).toBe('a wind e te the he wate be t wheesesn be a the wir ig wafom ');
    const others = [1, 2, 3, 8].map((seed) => generate(model, { ...opts, seed }));
    expect(others.some((t) => t !== text)).toBe(true);
  });

  it('temperature 0 is greedy and ignores the seed', () => {
    const a = generate(model, { prompt: 'th', maxTokens: 30, temperature: 0, seed: 1 });
    expect(generate(model, { prompt: 'th', maxTokens: 30, temperature: 0, seed: 99 })).toBe(a);
    // Greedy: each character is the argmax after the previous one.
    const V = model.vocab.length;
    let prev = model.vocab.indexOf('h');
    for (const ch of a) {
      const row = [...model.logits.subarray(prev * V, (prev + 1) * V)];
      const best = row.indexOf(Math.max(...row.slice(1)), 1);
      expect(ch).toBe(model.vocab[best]);
      prev = best;
    }
  });

  it('emits maxTokens vocabulary characters, never UNK, from any prompt', () => {
    for (const prompt of ['', 'The', 'zzz', '🔥', 'ü']) {
      const text = generate(model, { prompt, maxTokens: 50, seed: 3 });
      const chars = [...text];
      expect(chars).toHaveLength(50);
      for (const ch of chars) {
        expect(ch).not.toBe(UNK);
        expect(model.vocab).toContain(ch);
      }
    }
    expect(generate(model, { maxTokens: 0 })).toBe('');
    expect(generate(train([]), { maxTokens: 5 })).toBe('');
  });

  it('rejects bad options', () => {
    expect(() => generate(model, { seed: -1 })).toThrow(RangeError);
    expect(() => generate(model, { seed: 2 ** 32 })).toThrow(RangeError);
    expect(() => generate(model, { seed: 1.5 })).toThrow(RangeError);
    expect(() => generate(model, { temperature: -1 })).toThrow(RangeError);
    expect(() => generate(model, { temperature: Infinity })).toThrow(RangeError);
    expect(() => generate(model, { maxTokens: 1.5 })).toThrow(RangeError);
  });

  it('mulberry32 gives the reference sequence', () => {
    const random = mulberry32(1);
    expect(random()).toBe(0.6270739405881613);
    expect(random()).toBe(0.002735721180215478);
    const zero = mulberry32(0);
    expect(zero()).toBe(0.26642920868471265);
  });
});

describe('tiny-lm: load is strict', () => {
  const V = 3; // UNK, a, b
  const uniformRow = () => new Float32Array(V).fill(Math.log(1 / V));
  const parts = () => ({
    initial: { dtype: 'F32', shape: [V], data: uniformRow() } as TensorInput,
    logits: { dtype: 'F32', shape: [V, V], data: new Float32Array(V * V).fill(Math.log(1 / V)) } as TensorInput,
    vocab: { dtype: 'U8', shape: [5], data: utf8(`${UNK}ab`) } as TensorInput,
  });
  const meta = () => ({ format: FORMAT, format_version: '1', architecture: 'char-bigram', k: '0.1', training_texts: '0', training_chars: '0' });
  const withTensors = (patch: Record<string, TensorInput | undefined>, m: Record<string, string> = meta()) => {
    const t: Record<string, TensorInput> = {};
    for (const [name, value] of Object.entries({ ...parts(), ...patch })) if (value !== undefined) t[name] = value;
    return encodeSafetensors(t, m);
  };

  it('accepts a hand-built valid model', () => {
    const model = load(withTensors({}));
    expect(model.vocab).toEqual([UNK, 'a', 'b']);
    expect(perplexity(model, 'abba')).toBeCloseTo(3, 5);
  });

  const bad: [string, () => Uint8Array][] = [
    ['a missing tensor', () => withTensors({ initial: undefined })],
    ['an extra tensor', () => withTensors({ extra: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } })],
    [
      'tensor names that only join like the expected ones',
      () => encodeSafetensors({ 'initial,logits': parts().vocab, vocab: parts().vocab }, meta()),
    ],
    ['logits of the wrong dtype', () => withTensors({ logits: { dtype: 'F64', shape: [V, V], data: new Float64Array(V * V).fill(Math.log(1 / V)) } })],
    ['logits of the wrong shape', () => withTensors({ logits: { dtype: 'F32', shape: [V * V], data: new Float32Array(V * V).fill(Math.log(1 / V)) } })],
    ['initial of the wrong length', () => withTensors({ initial: { dtype: 'F32', shape: [2], data: new Float32Array(2).fill(Math.log(0.5)) } })],
    ['a vocab that is not UTF-8', () => withTensors({ vocab: { dtype: 'U8', shape: [5], data: new Uint8Array([0xef, 0xbf, 0xbd, 0x61, 0xff]) } })],
    ['a vocab without UNK first', () => withTensors({ vocab: { dtype: 'U8', shape: [5], data: utf8(`a${UNK}b`) } })],
    ['a vocab out of order', () => withTensors({ vocab: { dtype: 'U8', shape: [5], data: utf8(`${UNK}ba`) } })],
    ['a vocab with a duplicate', () => withTensors({ vocab: { dtype: 'U8', shape: [5], data: utf8(`${UNK}aa`) } })],
    ['a vocab of the wrong dtype', () => withTensors({ vocab: { dtype: 'I8', shape: [5], data: new Int8Array(utf8(`${UNK}ab`)) } })],
    ['a NaN log-probability', () => withTensors({ initial: { dtype: 'F32', shape: [V], data: new Float32Array([Number.NaN, 0, 0]) } })],
    ['a -Infinity log-probability', () => withTensors({ initial: { dtype: 'F32', shape: [V], data: new Float32Array([-Infinity, Math.log(0.5), Math.log(0.5)]) } })],
    ['a row that is not a distribution', () => withTensors({ initial: { dtype: 'F32', shape: [V], data: new Float32Array([0, 0, 0]) } })],
    ['missing metadata', () => withTensors({}, {})],
    ['another format', () => withTensors({}, { ...meta(), format: 'other' })],
    ['another format_version', () => withTensors({}, { ...meta(), format_version: '2' })],
    ['another architecture', () => withTensors({}, { ...meta(), architecture: 'char-trigram' })],
    ['a non-canonical k', () => withTensors({}, { ...meta(), k: '0.10' })],
    ['k = 0', () => withTensors({}, { ...meta(), k: '0' })],
    ['a negative training_chars', () => withTensors({}, { ...meta(), training_chars: '-1' })],
    ['a fractional training_texts', () => withTensors({}, { ...meta(), training_texts: '1.5' })],
  ];
  it.each(bad)('rejects %s with ERR_MALFORMED', (_name, make) => {
    expectMalformed(() => load(make()));
  });

  it('mutations of a valid model file: load returns a valid model or throws ERR_MALFORMED (fast-check)', () => {
    const valid = save(train(ds('poems').slice(0, 1)));
    const headerEnd = 8 + Number(new DataView(valid.buffer, valid.byteOffset).getBigUint64(0, true));
    const mutation = fc.oneof(
      // overwrite a byte anywhere, or in the header (more interesting)
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(valid.length - 1), value: fc.nat(255) }),
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(headerEnd - 1), value: fc.nat(255) }),
      // overwrite a header byte with a JSON-significant character
      fc.record({ kind: fc.constant('set' as const), at: fc.integer({ min: 8, max: headerEnd - 1 }), value: fc.constantFrom(...utf8('{}[]",:0123456789- ')) }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(valid.length - 1), value: fc.nat(7) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(valid.length), value: fc.constant(0) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(valid.length), value: fc.nat(255) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(valid.length - 1), value: fc.constant(0) }),
      fc.record({ kind: fc.constant('length' as const), at: fc.constant(0), value: fc.integer({ min: -16, max: 16 }) }),
    );
    const apply = (bytes: Uint8Array, m: { kind: string; at: number; value: number }): Uint8Array => {
      const at = Math.min(m.at, bytes.length);
      switch (m.kind) {
        case 'set':
        case 'flip': {
          if (at >= bytes.length) return bytes;
          const out = bytes.slice();
          out[at] = m.kind === 'set' ? m.value : out[at]! ^ (1 << m.value);
          return out;
        }
        case 'truncate':
          return bytes.slice(0, at);
        case 'insert':
          return Uint8Array.of(...bytes.subarray(0, at), m.value, ...bytes.subarray(at));
        case 'delete':
          return Uint8Array.of(...bytes.subarray(0, at), ...bytes.subarray(at + 1));
        default: {
          if (bytes.length < 8) return bytes;
          const out = bytes.slice();
          const view = new DataView(out.buffer);
          const n = view.getBigUint64(0, true) + BigInt(m.value);
          view.setBigUint64(0, n < 0n ? 0n : n, true);
          return out;
        }
      }
    };
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        const bytes = mutations.reduce(apply, valid);
        let model: TinyLm;
        try {
          model = load(bytes);
        } catch (err) {
          const e = err as Error & { code?: string };
          expect(e.code, `${e.name}: ${e.message}`).toBe('ERR_MALFORMED');
          rejected++;
          return;
        }
        accepted++;
        const V = model.vocab.length;
        expect(model.vocab[0]).toBe(UNK);
        expect(model.initial).toHaveLength(V);
        expect(model.logits).toHaveLength(V * V);
        expect(Number.isFinite(perplexity(model, 'the sea'))).toBe(true);
        expect([...generate(model, { maxTokens: 5 })]).toHaveLength(V > 1 ? 5 : 0);
      }),
      { numRuns: 600 },
    );
    expect(rejected).toBeGreaterThan(0);
    expect(accepted + rejected).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------ Python

const PY = '/usr/bin/python3';
const hasPython = spawnSync(PY, ['-c', 'import json, struct'], { encoding: 'utf8' }).status === 0;
/** A Python with the official `safetensors` package, if any. */
const pyWithSafetensors = [PY, 'python3'].find(
  (py) => spawnSync(py, ['-c', 'import safetensors.numpy'], { encoding: 'utf8' }).status === 0,
);
if (!hasPython) console.warn(`tiny-lm interop: ${PY} is absent; skipping the independent Python reader check`);
if (!pyWithSafetensors) console.warn("tiny-lm interop: Python's safetensors package is not installed; skipping the check against it");

// An independent reader written from the format description, with only the
// standard library (and numpy if present): parses our file, checks the
// layout, sums the F32 tensors, decodes the vocabulary and recomputes the
// perplexity of a text, so a bug shared by our writer and reader shows up.
const INDEPENDENT_READER = String.raw`
import json, math, struct, sys
try:
    import numpy as np
except ImportError:
    np = None
data = open(sys.argv[1], 'rb').read()
text = open(sys.argv[2], encoding='utf-8').read()
(n,) = struct.unpack('<Q', data[:8])
assert 8 + n <= len(data), 'header past end of file'
assert (8 + n) % 8 == 0, 'buffer not 8-byte aligned'
raw_header = data[8:8 + n]
assert raw_header[:1] == b'{', 'header must start with {'
header = json.loads(raw_header.decode('utf-8'))
buf = data[8 + n:]
metadata = header.pop('__metadata__', {})
assert list(header) == sorted(header), 'tensors not in sorted order'
pos = 0
out = {'metadata': metadata, 'tensors': {}, 'numpy': np is not None}
values = {}
for name, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):
    begin, end = info['data_offsets']
    assert begin == pos, 'tensors not contiguous'
    pos = end
    count = 1
    for d in info['shape']:
        count *= d
    raw = buf[begin:end]
    t = {'dtype': info['dtype'], 'shape': info['shape']}
    if info['dtype'] == 'F32':
        assert len(raw) == 4 * count
        vals = struct.unpack('<%df' % count, raw)
        values[name] = vals
        s = 0.0
        for v in vals:
            s += v  # plain left-to-right float64 sum, like ours
        t['sum'] = s
        if np is not None:
            t['numpy_sum'] = float(np.frombuffer(raw, dtype='<f4').astype(np.float64).sum())
    elif info['dtype'] == 'U8':
        assert len(raw) == count
        t['text'] = raw.decode('utf-8')
    out['tensors'][name] = t
assert pos == len(buf), 'trailing bytes in the buffer'
vocab = list(out['tensors']['vocab']['text'])
V = len(vocab)
index = {ch: i for i, ch in enumerate(vocab)}
total, prev = 0.0, None
for ch in text:
    i = index.get(ch, 0)
    total += values['initial'][i] if prev is None else values['logits'][prev * V + i]
    prev = i
out['perplexity'] = math.exp(-total / len(text))
print(json.dumps(out))
`;

const OFFICIAL_READER = String.raw`
import json, sys
from safetensors import safe_open
out = {'tensors': {}}
with safe_open(sys.argv[1], framework='numpy') as f:
    out['metadata'] = f.metadata()
    for name in f.keys():
        t = f.get_tensor(name)
        out['tensors'][name] = {'shape': list(t.shape), 'sum': float(t.astype('float64').sum())}
print(json.dumps(out))
`;

describe('tiny-lm: interop with Python', () => {
  const sum = (a: Float32Array) => a.reduce((s, x) => s + x, 0);
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiny-lm-'));
    const model = train([...ds('poems'), ...ds('recipes'), ...ds('spam')]);
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, save(model));
    const textPath = join(dir, 'text.txt');
    const text = 'Whisk the flour — and 🔥 the boats come home.';
    writeFileSync(textPath, text);
    return { dir, model, path, textPath, text };
  };

  it.skipIf(!hasPython)(`an independent Python reader (${PY}, struct + json) parses our file and agrees`, () => {
    const { dir, model, path, textPath, text } = setup();
    const scriptPath = join(dir, 'read.py');
    writeFileSync(scriptPath, INDEPENDENT_READER);
    const run = spawnSync(PY, [scriptPath, path, textPath], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const got = JSON.parse(run.stdout) as {
      metadata: Record<string, string>;
      numpy: boolean;
      tensors: Record<string, { dtype: string; shape: number[]; sum?: number; numpy_sum?: number; text?: string }>;
      perplexity: number;
    };
    const V = model.vocab.length;
    expect(got.metadata).toMatchObject({ format: FORMAT, architecture: 'char-bigram', training_texts: '9' });
    expect(got.tensors.initial).toMatchObject({ dtype: 'F32', shape: [V] });
    expect(got.tensors.logits).toMatchObject({ dtype: 'F32', shape: [V, V] });
    // Same values summed in the same order in float64: equal exactly.
    expect(got.tensors.initial!.sum).toBe(sum(model.initial));
    expect(got.tensors.logits!.sum).toBe(sum(model.logits));
    if (got.numpy) expect(got.tensors.logits!.numpy_sum).toBeCloseTo(sum(model.logits), 6);
    expect(got.tensors.vocab?.text).toBe(model.vocab.join(''));
    expect(got.perplexity).toBeCloseTo(perplexity(model, text), 9);
  });

  it.skipIf(!pyWithSafetensors)("Python's safetensors package reads our file", () => {
    const { dir, model, path } = setup();
    const scriptPath = join(dir, 'official.py');
    writeFileSync(scriptPath, OFFICIAL_READER);
    const run = spawnSync(pyWithSafetensors!, [scriptPath, path], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const got = JSON.parse(run.stdout) as { metadata: Record<string, string>; tensors: Record<string, { shape: number[]; sum: number }> };
    expect(got.metadata.format).toBe(FORMAT);
    expect(got.tensors.logits?.shape).toEqual([model.vocab.length, model.vocab.length]);
    expect(got.tensors.logits?.sum).toBeCloseTo(sum(model.logits), 6);
    expect(got.tensors.vocab?.shape).toEqual([new TextEncoder().encode(model.vocab.join('')).length]);
  });
});
