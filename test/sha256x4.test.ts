import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DATA_START, paddedBlocks, Sha256x4, sha256x4Supported } from '../src/lib/sha256x4.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Place messages in memory, pad them, hash them with hashAll; answers in order, as hex. */
function hashAllOf(engine: Sha256x4, messages: readonly Uint8Array[]): string[] {
  let at = DATA_START;
  const outAt = at;
  at += 32 * messages.length;
  const jobs = new Int32Array(3 * messages.length);
  engine.reserve(at + messages.reduce((n, m) => n + 64 * paddedBlocks(m.length), 0));
  messages.forEach((m, i) => {
    engine.bytes.set(m, at);
    const blocks = engine.pad(at, m.length);
    jobs.set([at, blocks, outAt + 32 * i], 3 * i);
    at += 64 * blocks;
  });
  engine.hashAll(jobs, messages.length);
  return messages.map((_, i) => hex(engine.bytes.subarray(outAt + 32 * i, outAt + 32 * i + 32)));
}

describe('four-lane SHA-256 in WebAssembly SIMD', () => {
  it('is available on every supported Node.js', () => {
    expect(sha256x4Supported()).toBe(true);
  });

  it('answers the FIPS 180-4 examples and every padding boundary', () => {
    const engine = new Sha256x4();
    expect(hashAllOf(engine, [new TextEncoder().encode('abc')])).toEqual(['ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad']);
    expect(hashAllOf(engine, [new Uint8Array(0)])).toEqual(['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']);
    const two = new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
    expect(hashAllOf(engine, [two])).toEqual(['248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1']);
    // Lengths around each block edge, where padding spills into an extra block.
    const lengths = [0, 1, 54, 55, 56, 57, 63, 64, 65, 118, 119, 120, 127, 128, 129, 1000, 1024];
    const messages = lengths.map((n) => randomBytes(n));
    expect(hashAllOf(engine, messages)).toEqual(messages.map(sha));
  });

  it('property: any set of messages, in any mix of lengths, hashes as node:crypto does', () => {
    const engine = new Sha256x4();
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { minLength: 1, maxLength: 13 }), (messages) => {
        expect(hashAllOf(engine, messages)).toEqual(messages.map(sha));
      }),
      { numRuns: 150 },
    );
  });

  it('streams: lanes fed block by block from separate buffers, reset and reused', () => {
    const engine = new Sha256x4();
    // Four messages of 5 blocks each (unpadded multiples of 64 with a padding block appended by pad()).
    const messages = Array.from({ length: 4 }, () => randomBytes(64 * 4 + 17));
    const blocks = paddedBlocks(messages[0]!.length);
    const span = 64 * blocks;
    engine.reserve(DATA_START + 4 * span + 128);
    messages.forEach((m, l) => {
      engine.bytes.set(m, DATA_START + l * span);
      engine.pad(DATA_START + l * span, m.length);
      engine.reset(l);
    });
    // Two blocks, then the rest: the state carries over between calls.
    const at = (l: number, block: number): number => DATA_START + l * span + 64 * block;
    engine.compress(at(0, 0), at(1, 0), at(2, 0), at(3, 0), 2);
    engine.compress(at(0, 2), at(1, 2), at(2, 2), at(3, 2), blocks - 2);
    const out = DATA_START + 4 * span;
    for (let l = 0; l < 4; l++) {
      engine.digestTo(l, out);
      expect(hex(engine.bytes.subarray(out, out + 32))).toBe(sha(messages[l]!));
    }
  });

  it('grows its memory for large messages without losing what it holds', () => {
    const engine = new Sha256x4();
    const big = randomBytes(3 * 65536 + 5);
    const small = randomBytes(10);
    expect(hashAllOf(engine, [small, big, small])).toEqual([sha(small), sha(big), sha(small)]);
  });
});
