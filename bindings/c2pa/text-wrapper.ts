/**
 * The C2PA unstructured-text wrapper (C2PATextManifestWrapper, C2PA 2.3):
 * U+FEFF, then one variation selector per byte of
 * `"C2PATXT\0" | version 0x01 | u32 BE manifest length | manifest store (JUMBF) | padding`.
 * A byte b < 16 is U+FE00 + b (3 bytes of UTF-8); b >= 16 is U+E0100 + (b - 16)
 * (4 bytes of UTF-8). Nothing in it renders.
 *
 * @internal
 */
import { InputError } from 'provenant';

const MAGIC = Uint8Array.from([0x43, 0x32, 0x50, 0x41, 0x54, 0x58, 0x54, 0x00]); // "C2PATXT\0"
const VERSION = 1;
/** Magic, version and length. */
export const WRAPPER_HEADER_BYTES = 13;
const MARKER = 0xfeff;

/** UTF-8 length of the selector that carries `byte`. */
export function selectorUtf8Length(byte: number): number {
  return byte < 16 ? 3 : 4;
}

function selector(byte: number): string {
  return String.fromCodePoint(byte < 16 ? 0xfe00 + byte : 0xe0100 + byte - 16);
}

function byteOfSelector(codePoint: number): number | undefined {
  if (codePoint >= 0xfe00 && codePoint <= 0xfe0f) return codePoint - 0xfe00;
  if (codePoint >= 0xe0100 && codePoint <= 0xe01ef) return codePoint - 0xe0100 + 16;
  return undefined;
}

/** The longest the wrapper of a `storeBytes`-byte manifest store can be in UTF-8, without padding. */
export function maxWrapperUtf8Length(storeBytes: number): number {
  return 3 + 4 * (WRAPPER_HEADER_BYTES + storeBytes);
}

/**
 * Encode the wrapper for a manifest store, padded so that its UTF-8 form is
 * exactly `utf8Length` bytes (the length the data hash's exclusion names).
 * Padding is zero bytes (U+FE00), and at most two 0x10 bytes (U+E0100)
 * where a multiple of three cannot reach the length.
 *
 * @throws RangeError when the store does not fit in `utf8Length`
 */
export function encodeWrapper(store: Uint8Array, utf8Length: number): string {
  const header = new Uint8Array(WRAPPER_HEADER_BYTES);
  header.set(MAGIC);
  header[8] = VERSION;
  new DataView(header.buffer).setUint32(9, store.length);
  const parts: string[] = [String.fromCharCode(MARKER)];
  let used = 3;
  for (const bytes of [header, store]) {
    for (const b of bytes) {
      parts.push(selector(b));
      used += selectorUtf8Length(b);
    }
  }
  const padding = utf8Length - used;
  const wide = ((padding % 3) + 3) % 3; // 4k' + 3z = padding with k' in {0, 1, 2}
  const zeros = (padding - 4 * wide) / 3;
  if (padding < 0 || zeros < 0) throw new RangeError(`the wrapper needs ${used} bytes of UTF-8, more than the ${utf8Length} reserved`);
  parts.push(selector(0x10).repeat(wide), selector(0).repeat(zeros));
  return parts.join('');
}

/** A wrapper found in text. */
export interface FoundWrapper {
  /** UTF-16 index of U+FEFF, and the index just past the wrapper's last selector. */
  start: number;
  end: number;
  /** The manifest store. */
  store: Uint8Array;
  /** The wrapper's UTF-8 length. */
  utf8Length: number;
}

/**
 * Find the first C2PA text wrapper: U+FEFF followed by selectors that
 * decode to the magic and version 1.
 *
 * @returns the wrapper, or undefined when the text carries none
 * @throws InputError `ERR_MALFORMED` for a wrapper whose declared length runs past its selectors
 */
export function findWrapper(text: string): FoundWrapper | undefined {
  for (let from = text.indexOf('\ufeff'); from !== -1; from = text.indexOf('\ufeff', from + 1)) {
    const bytes: number[] = [];
    let at = from + 1;
    while (at < text.length) {
      const cp = text.codePointAt(at)!;
      const byte = byteOfSelector(cp);
      if (byte === undefined) break;
      bytes.push(byte);
      at += cp > 0xffff ? 2 : 1;
    }
    if (bytes.length < WRAPPER_HEADER_BYTES || !MAGIC.every((m, i) => bytes[i] === m)) continue;
    if (bytes[8] !== VERSION) throw new InputError('ERR_MALFORMED', `C2PA text wrapper version ${bytes[8]} is not supported (expected ${VERSION})`);
    const length = ((bytes[9]! << 24) >>> 0) + (bytes[10]! << 16) + (bytes[11]! << 8) + bytes[12]!;
    if (WRAPPER_HEADER_BYTES + length > bytes.length) {
      throw new InputError('ERR_MALFORMED', `the C2PA text wrapper declares a ${length}-byte manifest store but carries ${bytes.length - WRAPPER_HEADER_BYTES} bytes`);
    }
    let utf8Length = 3;
    for (const b of bytes) utf8Length += selectorUtf8Length(b);
    return { start: from, end: at, store: Uint8Array.from(bytes.slice(WRAPPER_HEADER_BYTES, WRAPPER_HEADER_BYTES + length)), utf8Length };
  }
  return undefined;
}
