/**
 * ECDSA signature encodings. `Signer`s return DER (`ECDSA-Sig-Value ::=
 * SEQUENCE { r INTEGER, s INTEGER }`, RFC 3279 §2.2.3), JWS wants the raw
 * fixed-width `r || s` of RFC 7518 §3.4. Only the two-integer sequence is
 * handled, and strictly: one signature has one DER encoding.
 */
import { InputError } from './errors.js';

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > 66) {
    throw new RangeError(`"size" expected an integer coordinate length in 1..66, got ${size}`);
  }
}

/**
 * Decode a DER ECDSA signature into raw `r || s`, each left-padded to `size`
 * bytes (32 for P-256, 48 for P-384, 66 for P-521).
 *
 * @param der the DER-encoded signature
 * @param size the curve's coordinate length in bytes
 * @returns `2 * size` bytes
 * @throws InputError `ERR_MALFORMED` for anything but a minimal DER
 *   SEQUENCE of two non-negative INTEGERs that fit in `size` bytes
 * @throws RangeError for a `size` outside 1..66
 * @example
 * ```ts
 * const raw = derToRawEcdsa(await signer.sign(data), 32); // 64 bytes for ES256
 * ```
 */
export function derToRawEcdsa(der: Uint8Array, size: number): Uint8Array {
  checkSize(size);
  const fail = (why: string): never => {
    throw new InputError('ERR_MALFORMED', `"signature" is not a DER ECDSA signature: ${why}`);
  };
  if (der.length < 8) fail(`${der.length} bytes is too short`);
  if (der[0] !== 0x30) fail('expected a SEQUENCE');
  let at = 2;
  let length = der[1]!;
  if (length === 0x81) {
    length = der[2]!;
    at = 3;
    // Long form is only allowed where short form cannot express the length.
    if (length < 0x80) fail('non-minimal length');
  } else if (length >= 0x80) {
    fail('unsupported length encoding');
  }
  if (at + length !== der.length) fail(`SEQUENCE length ${length} does not match the ${der.length - at} bytes that follow`);

  const out = new Uint8Array(2 * size);
  for (const [index, name] of [[0, 'r'], [1, 's']] as const) {
    if (der[at] !== 0x02) fail(`${name}: expected an INTEGER`);
    const len = der[at + 1];
    if (len === undefined || len === 0 || len >= 0x80) fail(`${name}: bad INTEGER length`);
    const start = at + 2;
    const end = start + len!;
    if (end > der.length) fail(`${name}: truncated`);
    let value = der.subarray(start, end);
    if (value[0]! & 0x80) fail(`${name}: negative`);
    if (value.length > 1 && value[0] === 0x00) {
      if (!(value[1]! & 0x80)) fail(`${name}: non-minimal INTEGER`);
      value = value.subarray(1);
    }
    if (value.length > size) fail(`${name}: longer than ${size} bytes`);
    out.set(value, index * size + (size - value.length));
    at = end;
  }
  if (at !== der.length) fail('trailing bytes after s');
  return out;
}

/** Minimal DER INTEGER body of an unsigned big-endian number. */
function integerBody(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  if (trimmed[0]! & 0x80) {
    const padded = new Uint8Array(trimmed.length + 1);
    padded.set(trimmed, 1);
    return padded;
  }
  return trimmed;
}

/**
 * Encode raw `r || s` as a DER ECDSA signature (the inverse of
 * {@link derToRawEcdsa}).
 *
 * @param raw `2 * size` bytes
 * @param size the curve's coordinate length in bytes
 * @returns the minimal DER encoding
 * @throws InputError `ERR_MALFORMED` when `raw` is not `2 * size` bytes
 * @throws RangeError for a `size` outside 1..66
 * @example
 * ```ts
 * const der = rawToDerEcdsa(base64url.decode(jwsSignature), 32);
 * ```
 */
export function rawToDerEcdsa(raw: Uint8Array, size: number): Uint8Array {
  checkSize(size);
  if (raw.length !== 2 * size) {
    throw new InputError('ERR_MALFORMED', `"signature" expected ${2 * size} bytes of r||s, got length=${raw.length}`);
  }
  const r = integerBody(raw.subarray(0, size));
  const s = integerBody(raw.subarray(size));
  const bodyLength = 2 + r.length + 2 + s.length;
  const header = bodyLength < 0x80 ? [0x30, bodyLength] : [0x30, 0x81, bodyLength];
  const out = new Uint8Array(header.length + bodyLength);
  out.set(header, 0);
  let at = header.length;
  for (const part of [r, s]) {
    out[at] = 0x02;
    out[at + 1] = part.length;
    out.set(part, at + 2);
    at += 2 + part.length;
  }
  return out;
}
