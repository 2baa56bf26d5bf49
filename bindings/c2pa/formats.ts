/**
 * Media formats: which ones the engine embeds credentials in, recognising a
 * format from its first bytes, and structural checks that catch truncated
 * or corrupt PNG, JPEG and RIFF files before the engine sees them (the
 * engine signs a JPEG cut in the middle of its scan without complaint).
 */
import { crc32 } from 'node:zlib';
import { InputError } from 'provenant';

/**
 * Media types `signImage` and `readCredentials` accept: the formats
 * c2pa-rs 0.91 (in @contentauth/c2pa-wasm 0.13) embeds manifests in.
 * PDF is read-only.
 */
export const C2PA_MEDIA_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/tiff',
  'image/x-adobe-dng',
  'image/svg+xml',
  'image/avif',
  'image/heic',
  'image/heif',
  'video/mp4',
  'video/quicktime',
  'audio/mp4',
  'audio/mpeg',
  'audio/wav',
  'video/x-msvideo',
  'application/pdf',
] as const;

/** A media type in {@link C2PA_MEDIA_TYPES}. */
export type C2paMediaType = (typeof C2PA_MEDIA_TYPES)[number];

const ALIASES: Record<string, C2paMediaType> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/dng': 'image/x-adobe-dng',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/mp3': 'audio/mpeg',
  'audio/x-m4a': 'audio/mp4',
  'video/avi': 'video/x-msvideo',
  'application/mp4': 'video/mp4',
};

const EXTENSIONS: Record<string, C2paMediaType> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  dng: 'image/x-adobe-dng',
  svg: 'image/svg+xml',
  avif: 'image/avif',
  heic: 'image/heic',
  heif: 'image/heif',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  m4a: 'audio/mp4',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  avi: 'video/x-msvideo',
  pdf: 'application/pdf',
};

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/**
 * Recognise a format from its first bytes.
 *
 * @param bytes the asset (the first 64 bytes are enough)
 * @returns the media type, or undefined when the bytes are none of the formats this binding knows
 * @example
 * ```ts
 * sniffMediaType(await readFile('a.png')) // 'image/png'
 * ```
 */
export function sniffMediaType(bytes: Uint8Array): C2paMediaType | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(bytes, 1, 4) === 'PNG' && bytes[4] === 0x0d && bytes[5] === 0x0a) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF') {
    const form = ascii(bytes, 8, 12);
    if (form === 'WEBP') return 'image/webp';
    if (form === 'WAVE') return 'audio/wav';
    if (form === 'AVI ') return 'video/x-msvideo';
  }
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return 'image/gif';
  if (bytes.length >= 4 && ((bytes[0] === 0x49 && bytes[1] === 0x49 && bytes[2] === 42 && bytes[3] === 0) || (bytes[0] === 0x4d && bytes[1] === 0x4d && bytes[2] === 0 && bytes[3] === 42))) {
    return 'image/tiff';
  }
  if (bytes.length >= 5 && ascii(bytes, 0, 5) === '%PDF-') return 'application/pdf';
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12);
    if (brand === 'avif' || brand === 'avis') return 'image/avif';
    if (brand === 'heic' || brand === 'heix' || brand === 'hevc') return 'image/heic';
    if (brand === 'mif1' || brand === 'msf1') return 'image/heif';
    if (brand === 'qt  ') return 'video/quicktime';
    if (brand === 'M4A ') return 'audio/mp4';
    return 'video/mp4';
  }
  if (bytes.length >= 3 && ascii(bytes, 0, 3) === 'ID3') return 'audio/mpeg';
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0) return 'audio/mpeg';
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'image/svg+xml';
  return undefined;
}

/**
 * The media type for a file name's extension.
 *
 * @param path a file name or path
 * @returns the media type, or undefined for an unknown extension
 * @example
 * ```ts
 * mediaTypeOfPath('out/cat.JPG') // 'image/jpeg'
 * ```
 */
export function mediaTypeOfPath(path: string): C2paMediaType | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  return ext === undefined ? undefined : EXTENSIONS[ext];
}

/**
 * Normalise a media type (or a bare extension such as `png`) to one of
 * {@link C2PA_MEDIA_TYPES}: parameters dropped, lower case, common aliases
 * (`image/jpg`, `audio/x-wav`, ...) mapped.
 *
 * @param mediaType a media type or file extension
 * @returns the canonical media type
 * @throws InputError `ERR_UNSUPPORTED_FORMAT` for anything else
 * @throws TypeError for a non-string
 * @example
 * ```ts
 * normalizeMediaType('image/JPG; q=0.9') // 'image/jpeg'
 * ```
 */
export function normalizeMediaType(mediaType: string): C2paMediaType {
  if (typeof mediaType !== 'string') throw new TypeError(`"mediaType" expected a string, got ${typeof mediaType}`);
  const bare = mediaType.split(';')[0]!.trim().toLowerCase();
  if ((C2PA_MEDIA_TYPES as readonly string[]).includes(bare)) return bare as C2paMediaType;
  const alias = ALIASES[bare] ?? EXTENSIONS[bare.replace(/^\./, '')];
  if (alias) return alias;
  throw new InputError('ERR_UNSUPPORTED_FORMAT', `${JSON.stringify(mediaType)} is not a format C2PA credentials can be embedded in here (supported: ${C2PA_MEDIA_TYPES.join(', ')})`);
}

function corrupt(mediaType: string, why: string): InputError {
  return new InputError('ERR_ASSET_MALFORMED', `the ${mediaType} data is truncated or corrupt: ${why}`);
}

function checkPng(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let first = true;
  for (;;) {
    if (at + 12 > bytes.length) throw corrupt('image/png', `chunk header at byte ${at} runs past the end (${bytes.length} bytes)`);
    const length = view.getUint32(at);
    const type = ascii(bytes, at + 4, at + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) throw corrupt('image/png', `bad chunk type at byte ${at}`);
    if (first && type !== 'IHDR') throw corrupt('image/png', 'the first chunk is not IHDR');
    first = false;
    const end = at + 12 + length;
    if (end > bytes.length) throw corrupt('image/png', `chunk ${type} at byte ${at} (${length} bytes) runs past the end`);
    const crc = view.getUint32(at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== crc) throw corrupt('image/png', `chunk ${type} at byte ${at} fails its CRC`);
    at = end;
    if (type === 'IEND') return;
  }
}

function checkJpeg(bytes: Uint8Array): void {
  let at = 2;
  for (;;) {
    if (at + 4 > bytes.length) throw corrupt('image/jpeg', `marker at byte ${at} runs past the end`);
    if (bytes[at] !== 0xff) throw corrupt('image/jpeg', `expected a marker at byte ${at}`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd9) throw corrupt('image/jpeg', 'end of image before any scan');
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2 || at + 2 + length > bytes.length) throw corrupt('image/jpeg', `segment 0x${marker.toString(16)} at byte ${at} runs past the end`);
    at += 2 + length;
    if (marker === 0xda) break;
  }
  // Entropy-coded data follows; the image must still end with EOI (trailing bytes after it are tolerated).
  const tail = bytes.subarray(at);
  for (let i = tail.length - 2; i >= 0; i--) {
    if (tail[i] === 0xff && tail[i + 1] === 0xd9) return;
  }
  throw corrupt('image/jpeg', 'no end-of-image marker after the scan (the file is cut short)');
}

function checkRiff(bytes: Uint8Array, mediaType: string): void {
  if (bytes.length < 12) throw corrupt(mediaType, 'shorter than a RIFF header');
  const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (size + 8 > bytes.length) throw corrupt(mediaType, `the RIFF header declares ${size + 8} bytes, the data has ${bytes.length}`);
}

/**
 * Check that `bytes` are a whole file of `mediaType`: the format's magic
 * number, and for PNG (every chunk and CRC, through IEND), JPEG (every
 * segment, then an end-of-image marker) and RIFF formats (the declared
 * size) the structure. Other formats are left to the engine.
 *
 * @throws InputError `ERR_ASSET_MALFORMED`
 */
export function checkAsset(bytes: Uint8Array, mediaType: C2paMediaType): void {
  if (bytes.length === 0) throw corrupt(mediaType, 'empty');
  const sniffed = sniffMediaType(bytes);
  const riff = mediaType === 'image/webp' || mediaType === 'audio/wav' || mediaType === 'video/x-msvideo';
  const structured = mediaType === 'image/png' || mediaType === 'image/jpeg' || riff || mediaType === 'image/gif' || mediaType === 'application/pdf';
  if (structured && sniffed !== mediaType) {
    throw corrupt(mediaType, sniffed ? `the bytes are ${sniffed}, not ${mediaType}` : `the bytes do not start like ${mediaType}`);
  }
  if (mediaType === 'image/png') checkPng(bytes);
  else if (mediaType === 'image/jpeg') checkJpeg(bytes);
  else if (riff) checkRiff(bytes, mediaType);
}
