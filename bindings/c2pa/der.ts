/**
 * Just enough DER (ITU-T X.690) to write the development certificates of
 * `cert dev` and to read the few certificate fields the C2PA signing
 * profile checks (basic constraints, key usage, key identifiers) that
 * node:crypto's X509Certificate does not expose.
 *
 * @internal
 */
import { InputError } from 'provenant';

/** A DER value: its tag byte, and its complete encoding. */
export type Der = Uint8Array;

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const out: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) out.unshift(n % 256);
  return [0x80 | out.length, ...out];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One TLV with `tag` around `content`. */
export function tlv(tag: number, ...content: readonly Uint8Array[]): Der {
  const body = concat(content);
  return concat([Uint8Array.of(tag, ...lengthBytes(body.length)), body]);
}

/** SEQUENCE of the given values. */
export const sequence = (...items: readonly Der[]): Der => tlv(0x30, ...items);
/** SET OF the given values (callers pass them already in DER order; every set here has one member). */
export const set = (...items: readonly Der[]): Der => tlv(0x31, ...items);
/** [n] EXPLICIT around one value. */
export const explicit = (n: number, value: Der): Der => tlv(0xa0 | n, value);
/** OCTET STRING. */
export const octetString = (bytes: Uint8Array): Der => tlv(0x04, bytes);
/** UTF8String. */
export const utf8String = (text: string): Der => tlv(0x0c, new TextEncoder().encode(text));
/** BOOLEAN TRUE (DER leaves FALSE defaults out). */
export const booleanTrue = (): Der => tlv(0x01, Uint8Array.of(0xff));

/** BIT STRING with no unused bits. */
export function bitString(bytes: Uint8Array): Der {
  return tlv(0x03, Uint8Array.of(0), bytes);
}

/**
 * A named-bit BIT STRING (such as KeyUsage) from the numbers of the bits
 * set, trailing zero bits removed as DER demands.
 */
export function namedBits(bits: readonly number[]): Der {
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = 7 - (highest & 7);
  return tlv(0x03, Uint8Array.of(unused), bytes);
}

/** A non-negative INTEGER from big-endian magnitude bytes (a sign byte is added when needed). */
export function unsignedInteger(magnitude: Uint8Array): Der {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return trimmed[0]! & 0x80 ? tlv(0x02, Uint8Array.of(0), trimmed) : tlv(0x02, trimmed);
}

/** A small INTEGER. */
export function smallInteger(value: number): Der {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new RangeError(`"value" expected a small non-negative integer, got ${value}`);
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return unsignedInteger(Uint8Array.from(bytes.length ? bytes : [0]));
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Der {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const group: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) group.unshift(0x80 | (n & 0x7f));
    out.push(...group);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/**
 * A Time: UTCTime for 1950-2049, GeneralizedTime otherwise (RFC 5280
 * section 4.1.2.5), always in whole seconds and UTC.
 */
export function time(date: Date): Der {
  const iso = date.toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, new TextEncoder().encode(`${digits.slice(2)}Z`));
  return tlv(0x18, new TextEncoder().encode(`${digits}Z`));
}

/** A decoded TLV: tag, content bytes, and where the whole TLV starts and ends in the buffer it was read from. */
export interface DerNode {
  tag: number;
  content: Uint8Array;
  start: number;
  end: number;
}

function malformed(what: string): InputError {
  return new InputError('ERR_MALFORMED', `malformed DER: ${what}`);
}

/**
 * Read the TLV that starts at `at` in `bytes`.
 *
 * @throws InputError `ERR_MALFORMED` for a truncated or indefinite-length value
 */
export function readTlv(bytes: Uint8Array, at = 0): DerNode {
  if (at + 2 > bytes.length) throw malformed('truncated header');
  const tag = bytes[at]!;
  if ((tag & 0x1f) === 0x1f) throw malformed('multi-byte tags are not supported');
  let length = bytes[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw malformed('unsupported length');
    if (start + count > bytes.length) throw malformed('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw malformed('value runs past the end');
  return { tag, content: bytes.subarray(start, end), start: at, end };
}

/** Every TLV inside a constructed value's content. */
export function children(content: Uint8Array): DerNode[] {
  const out: DerNode[] = [];
  for (let at = 0; at < content.length; ) {
    const node = readTlv(content, at);
    out.push(node);
    at = node.end;
  }
  return out;
}

/** The dotted form of an OBJECT IDENTIFIER's content. */
export function oidText(content: Uint8Array): string {
  if (content.length === 0) throw malformed('empty OID');
  const first = content[0]!;
  const arcs = [Math.min(2, Math.floor(first / 40)), first - 40 * Math.min(2, Math.floor(first / 40))];
  let value = 0;
  for (const byte of content.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}
