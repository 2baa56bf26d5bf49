/**
 * Byte helpers: base64 written straight into bytes must be exactly what
 * Node's encoder gives, for every length (each of the three tails) and
 * offset, since signed envelopes are written with it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Length, decodeBase64, encodeBase64, writeBase64 } from '../src/lib/bytes.js';

describe('writeBase64', () => {
  it('writes what Buffer#toString("base64") gives, for every length up to 100', () => {
    const src = Uint8Array.from({ length: 100 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let n = 0; n <= 100; n++) {
      const out = new Uint8Array(base64Length(n) + 3).fill(0xee);
      const end = writeBase64(src, 0, n, out, 2);
      expect(end).toBe(2 + base64Length(n));
      expect(Buffer.from(out.subarray(2, end)).toString('latin1')).toBe(Buffer.from(src.subarray(0, n)).toString('base64'));
      // Nothing outside the range is touched.
      expect(out[0]).toBe(0xee);
      expect(out[1]).toBe(0xee);
      expect(out[end]).toBe(0xee);
    }
  });

  it('property: any bytes, any range, any place in the output; decodes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.nat(), fc.nat(), fc.nat({ max: 40 }), (bytes, a, b, at) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        const out = new Uint8Array(at + base64Length(end - start));
        expect(writeBase64(bytes, start, end, out, at)).toBe(out.length);
        const text = Buffer.from(out.subarray(at)).toString('latin1');
        expect(text).toBe(encodeBase64(bytes.subarray(start, end)));
        expect(decodeBase64(text)).toEqual(bytes.slice(start, end));
      }),
      { numRuns: 300 },
    );
  });

  it('base64Length is the padded length', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 64, 460].map(base64Length)).toEqual([0, 4, 4, 4, 8, 8, 8, 88, 616]);
  });
});
