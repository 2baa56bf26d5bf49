/**
 * The strict JSON reader every record, receipt and policy goes through:
 * the values JSON.parse gives for any JSON text, and a stable
 * ERR_MALFORMED / ERR_LIMIT_EXCEEDED for what it refuses (duplicate or
 * `__proto__` keys, control characters, bad escapes and numbers, trailing
 * data, too deep, too large).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProvenantError } from '../src/lib/errors.js';
import { parseJson } from '../src/lib/json.js';

const code = (text: string, limits?: { maxBytes?: number; maxDepth?: number }): string => {
  try {
    parseJson(text, 'test', limits);
  } catch (err) {
    return (err as ProvenantError).code;
  }
  return 'accepted';
};

describe('parseJson', () => {
  it('property: reads what JSON.parse reads, compact or indented, as text or UTF-8 bytes', () => {
    const noProto = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"'));
    fc.assert(
      fc.property(noProto, fc.constantFrom(0, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const expected = JSON.stringify(JSON.parse(text));
        expect(JSON.stringify(parseJson(text, 'test', { maxDepth: 200 }))).toBe(expected);
        expect(JSON.stringify(parseJson(new TextEncoder().encode(text), 'test', { maxDepth: 200 }))).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('reads every escape, astral characters and lone surrogates, and numbers of every form', () => {
    const text = String.raw`{"e":"\" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 \udc00","s":"😀 é","n":[0,-0,1.5,-2e10,3E-5,1e+2,12345678901234567890]}`;
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  it('refuses what is not strict JSON, each with a stable code', () => {
    for (const bad of [
      '{"a":1,"a":2}',
      '{"__proto__":{}}',
      '"a\u0001b"',
      '"\\x"',
      '"\\u12G4"',
      '"unterminated',
      '01',
      '1.',
      '.5',
      '+1',
      '-',
      '1e',
      '1e400',
      `1${'0'.repeat(450)}`,
      `0.${'0'.repeat(450)}1`,
      '[1,]',
      '{"a" 1}',
      '{"a":1,}',
      '{1:2}',
      'tru',
      'nul',
      '[1] x',
      '',
    ]) {
      expect(code(bad), bad.slice(0, 40)).toBe('ERR_MALFORMED');
    }
    expect(code('[[[1]]]', { maxDepth: 2 })).toBe('ERR_LIMIT_EXCEEDED');
    expect(code('[[1]]', { maxDepth: 2 })).toBe('accepted');
    expect(code('"12345"', { maxBytes: 4 })).toBe('ERR_LIMIT_EXCEEDED');
    expect(code('\ufeff{"bom":true}')).toBe('accepted');
  });

  it('gives objects without a prototype, so no key reaches Object.prototype', () => {
    const value = parseJson('{"constructor":1,"toString":2}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(null);
    expect(Object.keys(value)).toEqual(['constructor', 'toString']);
  });
});
