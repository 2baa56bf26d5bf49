/** Small byte helpers; bytes are Uint8Array everywhere outside adapters. */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

/**
 * Parse lower- or upper-case hex.
 * @returns the bytes, or `undefined` when `hex` is not even-length hex
 */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Constant-shape equality of two byte arrays. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Concatenate byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const STD_B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_B64 = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decode standard or URL-safe base64, padded or not (DSSE accepts both).
 * @returns the bytes, or `undefined` when `text` is not base64
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  const std = STD_B64.test(text);
  if (!std && !URL_B64.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  const padded = text.length % 4 === 0 || !text.endsWith('=');
  if (!padded) return undefined;
  const buf = Buffer.from(body, std ? 'base64' : 'base64url');
  // Reject non-canonical trailing bits so one envelope has one encoding.
  const canonical = buf.toString(std ? 'base64' : 'base64url').replace(/=+$/, '');
  if (canonical !== body) return undefined;
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Standard, padded base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const BASE64_DIGITS = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const PAD = 0x3d; // '='

/** Length of the standard, padded base64 of `n` bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

/**
 * Write the standard, padded base64 of `src[start, end)` into `out` at `at`:
 * the characters `encodeBase64` gives, as ASCII bytes, with no string made
 * on the way. `out` must have {@link base64Length} bytes free at `at`.
 *
 * @returns the index just past the last byte written
 */
export function writeBase64(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number {
  const digits = BASE64_DIGITS;
  let i = start;
  let o = at;
  for (const last = end - 2; i < last; i += 3) {
    const n = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    out[o] = digits[n >>> 18]!;
    out[o + 1] = digits[(n >>> 12) & 63]!;
    out[o + 2] = digits[(n >>> 6) & 63]!;
    out[o + 3] = digits[n & 63]!;
    o += 4;
  }
  if (i < end) {
    const two = i + 1 < end;
    const n = (src[i]! << 16) | (two ? src[i + 1]! << 8 : 0);
    out[o] = digits[n >>> 18]!;
    out[o + 1] = digits[(n >>> 12) & 63]!;
    out[o + 2] = two ? digits[(n >>> 6) & 63]! : PAD;
    out[o + 3] = PAD;
    o += 4;
  }
  return o;
}

/** UTF-8 encode. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
