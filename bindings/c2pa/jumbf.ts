/**
 * JUMBF (ISO/IEC 19566-5) as C2PA uses it: superboxes (`jumb`) made of a
 * description box (`jumd`: a 16-byte type UUID, toggles, a label) and
 * content boxes (`cbor`, `json`, `bidb`, ...). Enough to write a manifest
 * store and to read one back; every length is checked against its parent.
 *
 * @internal
 */
import { InputError } from 'provenant';

/** C2PA's JUMBF type UUIDs: four characters, then the common suffix. */
export const JUMBF_TYPES = {
  manifestStore: 'c2pa',
  manifest: 'c2ma',
  assertionStore: 'c2as',
  claim: 'c2cl',
  signature: 'c2cs',
  cbor: 'cbor',
  json: 'json',
} as const;

const UUID_SUFFIX = Uint8Array.from([0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);

/** A superbox as read: its type, label, the bytes it was read from, and its boxes. */
export interface JumbfBox {
  /** The description's type: the four characters of a C2PA UUID, or the UUID in hex for any other. */
  type: string;
  label: string | undefined;
  /** Content boxes (not superboxes): four-character type and payload. */
  content: { type: string; data: Uint8Array }[];
  /** Child superboxes. */
  children: JumbfBox[];
  /** The whole superbox, header included. */
  raw: Uint8Array;
}

function u32(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** One ISO BMFF-style box: 32-bit length, four-character type, payload. */
export function box(type: string, ...payload: readonly Uint8Array[]): Uint8Array {
  const size = 8 + payload.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([u32(size), ascii(type), ...payload]);
}

/** A description box for a C2PA type with a label (requestable, label present). */
export function descriptionBox(type: string, label: string): Uint8Array {
  if (type.length !== 4) throw new RangeError(`"type" expected four characters, got ${JSON.stringify(type)}`);
  return box('jumd', ascii(type), UUID_SUFFIX, Uint8Array.of(0x03), new TextEncoder().encode(label), Uint8Array.of(0));
}

/** A superbox: a description and its content boxes (or child superboxes). */
export function superBox(type: string, label: string, ...content: readonly Uint8Array[]): Uint8Array {
  return box('jumb', descriptionBox(type, label), ...content);
}

/** The payload of a superbox: what C2PA hashes for a hashed URI (the box without its 8-byte header). */
export function boxPayload(raw: Uint8Array): Uint8Array {
  return raw.subarray(8);
}

function malformed(why: string): InputError {
  return new InputError('ERR_MALFORMED', `malformed JUMBF: ${why}`);
}

function readBoxes(bytes: Uint8Array): { type: string; raw: Uint8Array; payload: Uint8Array }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + 8 > bytes.length) throw malformed(`box header at ${at} runs past its parent`);
    let size = view.getUint32(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > bytes.length) throw malformed('truncated large box');
      const high = view.getUint32(at + 8);
      if (high !== 0) throw malformed('box larger than 4 GiB');
      size = view.getUint32(at + 12);
      header = 16;
    } else if (size === 0) {
      size = bytes.length - at;
    }
    if (size < header || at + size > bytes.length) throw malformed(`box at ${at} declares ${size} bytes, its parent has ${bytes.length - at}`);
    out.push({ type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), raw: bytes.subarray(at, at + size), payload: bytes.subarray(at + header, at + size) });
    at += size;
  }
  return out;
}

function parseSuper(raw: Uint8Array, payload: Uint8Array, depth: number): JumbfBox {
  if (depth > 16) throw malformed('nested too deeply');
  const boxes = readBoxes(payload);
  const description = boxes[0];
  if (!description || description.type !== 'jumd') throw malformed('a superbox does not start with a description box');
  const d = description.payload;
  if (d.length < 17) throw malformed('description box too short');
  const suffix = d.subarray(4, 16);
  const isC2pa = suffix.every((b, i) => b === UUID_SUFFIX[i]);
  const type = isC2pa ? String.fromCharCode(...d.subarray(0, 4)) : Buffer.from(d.subarray(0, 16)).toString('hex');
  const toggles = d[16]!;
  let label: string | undefined;
  if (toggles & 0x02) {
    const end = d.indexOf(0, 17);
    if (end === -1) throw malformed('description label is not terminated');
    label = new TextDecoder().decode(d.subarray(17, end));
  }
  const result: JumbfBox = { type, label, content: [], children: [], raw };
  for (const b of boxes.slice(1)) {
    if (b.type === 'jumb') result.children.push(parseSuper(b.raw, b.payload, depth + 1));
    else result.content.push({ type: b.type, data: b.payload });
  }
  return result;
}

/**
 * Parse a JUMBF superbox (a manifest store).
 *
 * @throws InputError `ERR_MALFORMED`
 */
export function parseJumbf(bytes: Uint8Array): JumbfBox {
  const [top, ...rest] = readBoxes(bytes);
  if (!top || top.type !== 'jumb') throw malformed('not a JUMBF superbox');
  if (rest.length) throw malformed(`${rest.length} trailing box(es) after the manifest store`);
  return parseSuper(top.raw, top.payload, 0);
}
