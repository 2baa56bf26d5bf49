/**
 * The asset as it was before credentials were embedded: the C2PA manifest
 * store removed (a PNG's `caBX` chunk; a JPEG's APP11 JUMBF segments).
 * c2pa-rs inserts the store and changes nothing else in these formats, so
 * the result is byte-identical to the generated output, and its digest can
 * be compared with the one the output receipt signs.
 *
 * @internal
 */

function stripPng(bytes: Uint8Array): Uint8Array | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (end > bytes.length) return undefined;
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type !== 'caBX') kept.push(bytes.subarray(at, end));
    at = end;
    if (type === 'IEND') break;
  }
  kept.push(bytes.subarray(at));
  return Buffer.concat(kept);
}

function isJumbfApp11(segment: Uint8Array): boolean {
  // APP11 JUMBF (ISO 19566-5): marker, length, "JP", box instance (2), sequence number (4), then the box: LBox (4), TBox "jumb".
  return segment.length >= 20 && segment[4] === 0x4a && segment[5] === 0x50 && String.fromCharCode(...segment.subarray(16, 20)) === 'jumb';
}

function stripJpeg(bytes: Uint8Array): Uint8Array | undefined {
  const kept: Uint8Array[] = [bytes.subarray(0, 2)];
  let at = 2;
  for (;;) {
    if (at + 4 > bytes.length || bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    if (marker === 0xda) {
      kept.push(bytes.subarray(at));
      return Buffer.concat(kept);
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      kept.push(bytes.subarray(at, at + 2));
      at += 2;
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const end = at + 2 + length;
    if (end > bytes.length) return undefined;
    const segment = bytes.subarray(at, end);
    if (!(marker === 0xeb && isJumbfApp11(segment))) kept.push(segment);
    at = end;
  }
}

/**
 * The asset without its manifest store, for the formats where removing it
 * restores the original bytes exactly.
 *
 * @returns the bytes, or undefined for other formats (or a file too damaged to walk)
 */
export function withoutManifestStore(bytes: Uint8Array, mediaType: string): Uint8Array | undefined {
  if (mediaType === 'image/png') return stripPng(bytes);
  if (mediaType === 'image/jpeg') return stripJpeg(bytes);
  return undefined;
}
