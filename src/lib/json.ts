import { InputError } from './errors.js';

/** Limits applied when parsing untrusted JSON. */
export interface JsonLimits {
  /** Maximum input size in bytes (default 16 MiB). */
  maxBytes?: number;
  /** Maximum nesting depth of arrays and objects (default 64). */
  maxDepth?: number;
}

/** A JSON value. Objects parsed by {@link parseJson} have a null prototype. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 64;

/**
 * Parse untrusted JSON strictly: duplicate keys and `__proto__` keys are
 * rejected, nesting and size are bounded, objects get a null prototype.
 *
 * @param input JSON text or UTF-8 bytes
 * @param what what is being parsed, for messages (e.g. "signature file")
 * @param limits size and depth limits
 * @returns the parsed value
 * @throws InputError `ERR_MALFORMED` or `ERR_LIMIT_EXCEEDED`
 * @example
 * ```ts
 * parseJson('{"a":1}', 'config') // { a: 1 }
 * ```
 */
export function parseJson(input: string | Uint8Array, what = 'JSON', limits: JsonLimits = {}): JsonValue {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > maxBytes) throw new InputError('ERR_LIMIT_EXCEEDED', `${what} is ${size} bytes, above the limit of ${maxBytes}`);
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (err) {
      throw new InputError('ERR_MALFORMED', `${what} is not valid UTF-8`, { cause: err });
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const p = new Parser(text, what, maxDepth);
  p.ws();
  const value = p.value(0);
  p.ws();
  if (p.i !== text.length) p.fail('unexpected data after the JSON value');
  return value;
}

/** A JSON number at the parser's position (sticky). */
const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
/** A run of string characters that need no attention: not a quote, a backslash or a control character (sticky). */
const PLAIN = /[^"\\\u0000-\u001f]*/y;
const ESCAPES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
});

class Parser {
  i = 0;
  constructor(
    readonly s: string,
    readonly what: string,
    readonly maxDepth: number,
  ) {}

  fail(msg: string): never {
    throw new InputError('ERR_MALFORMED', `${this.what} is not valid JSON: ${msg} at offset ${this.i}`);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }

  value(depth: number): JsonValue {
    if (depth > this.maxDepth) {
      throw new InputError('ERR_LIMIT_EXCEEDED', `${this.what} nests deeper than ${this.maxDepth} levels`);
    }
    const c = this.s[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === 't') return this.literal('true', true);
    if (c === 'f') return this.literal('false', false);
    if (c === 'n') return this.literal('null', null);
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    return this.fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
  }

  literal<T>(word: string, v: T): T {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return v;
    }
    return this.fail('invalid literal');
  }

  number(): number {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) return this.fail('invalid number');
    // No JSON number this library reads is anywhere near 400 characters; a longer one is refused, not parsed.
    if (m[0].length > 400) return this.fail('number too long');
    this.i += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) this.fail('number out of range');
    return n;
  }

  string(): string {
    const s = this.s;
    let i = this.i + 1;
    let out = '';
    let from = i;
    for (;;) {
      // Skip a run of plain characters at once (the regular expression engine scans faster than a loop here).
      PLAIN.lastIndex = i;
      PLAIN.test(s);
      i = PLAIN.lastIndex;
      if (i >= s.length) {
        this.i = i;
        return this.fail('unterminated string');
      }
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) {
        this.i = i;
        return this.fail('control character in string');
      }
      // A backslash.
      out += s.slice(from, i);
      const e = s[i + 1];
      if (e !== undefined && e in ESCAPES) {
        out += ESCAPES[e];
        i += 2;
      } else if (e === 'u') {
        const hex = s.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.i = i;
          return this.fail('invalid \\u escape');
        }
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
      } else {
        this.i = i;
        return this.fail('invalid escape');
      }
      from = i;
    }
    out += s.slice(from, i);
    this.i = i + 1;
    return out;
  }

  array(depth: number): JsonValue[] {
    this.i++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') {
        this.i--;
        this.fail('expected , or ]');
      }
    }
  }

  object(depth: number): { [key: string]: JsonValue } {
    this.i++;
    // No prototype: a key already set is an own property, so `in` finds duplicates.
    const out = Object.create(null) as { [key: string]: JsonValue };
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a string key');
      const key = this.string();
      if (key === '__proto__') this.fail('"__proto__" keys are not accepted');
      if (key in out) this.fail(`duplicate key ${JSON.stringify(key)}`);
      this.ws();
      if (this.s[this.i++] !== ':') {
        this.i--;
        this.fail('expected :');
      }
      this.ws();
      out[key] = this.value(depth + 1);
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') {
        this.i--;
        this.fail('expected , or }');
      }
    }
  }
}

/**
 * RFC 8785 (JCS) canonical JSON: object keys sorted by UTF-16 code units,
 * no whitespace, numbers in ECMAScript shortest form, strings escaped as
 * JSON.stringify does.
 *
 * @param value a JSON-compatible value (no undefined, functions, NaN or Infinity)
 * @returns the canonical text
 * @throws TypeError for values JSON cannot represent
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot represent ${value}`);
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
      const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
      keys.sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot represent a value of type ${typeof value}`);
  }
}

/** UTF-8 bytes of the canonical JSON of `value`. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

/** True for a plain (or null-prototype) object, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}
