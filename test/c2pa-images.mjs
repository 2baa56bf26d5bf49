// Small image writers for the C2PA tests and benchmark: PNG (RGB, zlib),
// baseline JPEG (4:4:4, the ITU T.81 Annex K tables) and lossless WebP
// (VP8L, one colour). Plain JS so both vitest and `node bench/c2pa.mjs` can
// import it. Pictures are deterministic: a gradient with some noise from a
// seeded generator, so compressed sizes are realistic and stable.
import { deflateSync } from 'node:zlib';

/** A deterministic RGB picture: width * height * 3 bytes. */
export function gradient(width, height, seed = 1) {
  const pixels = new Uint8Array(width * height * 3);
  let state = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const noise = (state >>> 0) % 24;
      const i = (y * width + x) * 3;
      pixels[i] = ((x * 255) / Math.max(1, width - 1) + noise) & 0xff;
      pixels[i + 1] = ((y * 255) / Math.max(1, height - 1) + noise) & 0xff;
      pixels[i + 2] = (((x + y) * 128) / Math.max(1, width + height - 2) + 64 + noise) & 0xff;
    }
  }
  return pixels;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A PNG (8-bit RGB, filter 0 on every row). */
export function makePng(width = 64, height = 48, seed = 1) {
  const pixels = gradient(width, height, seed);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) Buffer.from(pixels.subarray(y * width * 3, (y + 1) * width * 3)).copy(raw, y * (width * 3 + 1) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', deflateSync(raw, { level: 6 })),
      pngChunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

// ---- baseline JPEG ----

const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22,
  15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];
const LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103,
  77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_Q = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];
// Annex K.3 Huffman tables: code counts per length 1..16, then symbols.
const DC_LUMA = [[0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]];
const DC_CHROMA = [[0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]];
const AC_LUMA = [
  [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42,
    0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35,
    0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67,
    0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
    0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
    0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4,
    0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
];
const AC_CHROMA = [
  [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1,
    0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a,
    0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66,
    0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96,
    0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
    0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4,
    0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
];

/** Canonical Huffman codes (Annex C): symbol -> [code, length]. */
function huffmanCodes([counts, symbols]) {
  const codes = new Map();
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < counts[length - 1]; i++) codes.set(symbols[k++], [code++, length]);
    code <<= 1;
  }
  return codes;
}

function scaledTable(base, quality) {
  const scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
  return base.map((q) => Math.min(255, Math.max(1, Math.floor((q * scale + 50) / 100))));
}

class BitWriter {
  constructor() {
    this.bytes = [];
    this.acc = 0;
    this.count = 0;
  }
  write(code, length) {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((code >> i) & 1);
      if (++this.count === 8) {
        this.bytes.push(this.acc);
        if (this.acc === 0xff) this.bytes.push(0); // byte stuffing
        this.acc = 0;
        this.count = 0;
      }
    }
  }
  flush() {
    if (this.count > 0) this.write((1 << (8 - this.count)) - 1, 8 - this.count);
  }
}

const COS = Array.from({ length: 64 }, (_, i) => Math.cos(((2 * (i >> 3) + 1) * (i & 7) * Math.PI) / 16));

function forwardDct(block, out) {
  // Separable 2-D DCT-II on an 8x8 block (rows then columns).
  const tmp = new Float64Array(64);
  for (let y = 0; y < 8; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 8; x++) s += block[y * 8 + x] * COS[x * 8 + u];
      tmp[y * 8 + u] = s * (u === 0 ? Math.SQRT1_2 : 1) / 2;
    }
  }
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let s = 0;
      for (let y = 0; y < 8; y++) s += tmp[y * 8 + u] * COS[y * 8 + v];
      out[v * 8 + u] = s * (v === 0 ? Math.SQRT1_2 : 1) / 2;
    }
  }
}

function magnitude(value) {
  const abs = Math.abs(value);
  let size = 0;
  while (abs >> size) size++;
  return [size, value < 0 ? value + (1 << size) - 1 : value];
}

function segment(marker, data) {
  return [0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff, ...data];
}

/** A baseline JPEG (JFIF, YCbCr 4:4:4, standard Huffman tables). */
export function makeJpeg(width = 64, height = 48, seed = 1, quality = 85) {
  const pixels = gradient(width, height, seed);
  const tables = [scaledTable(LUMA_Q, quality), scaledTable(CHROMA_Q, quality)];
  const dc = [huffmanCodes(DC_LUMA), huffmanCodes(DC_CHROMA)];
  const ac = [huffmanCodes(AC_LUMA), huffmanCodes(AC_CHROMA)];
  const head = [0xff, 0xd8];
  head.push(...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  for (let t = 0; t < 2; t++) head.push(...segment(0xdb, [t, ...ZIGZAG.map((z) => tables[t][z])]));
  head.push(...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]));
  for (const [cls, id, table] of [[0, 0, DC_LUMA], [1, 0, AC_LUMA], [0, 1, DC_CHROMA], [1, 1, AC_CHROMA]]) {
    head.push(...segment(0xc4, [(cls << 4) | id, ...table[0], ...table[1]]));
  }
  head.push(...segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]));

  const bits = new BitWriter();
  const previous = [0, 0, 0];
  const block = new Float64Array(64);
  const coefficients = new Float64Array(64);
  for (let by = 0; by < height; by += 8) {
    for (let bx = 0; bx < width; bx += 8) {
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < 8; y++) {
          for (let x = 0; x < 8; x++) {
            const px = Math.min(width - 1, bx + x);
            const py = Math.min(height - 1, by + y);
            const i = (py * width + px) * 3;
            const r = pixels[i];
            const g = pixels[i + 1];
            const b = pixels[i + 2];
            const value =
              c === 0 ? 0.299 * r + 0.587 * g + 0.114 * b : c === 1 ? -0.168736 * r - 0.331264 * g + 0.5 * b + 128 : 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
            block[y * 8 + x] = value - 128;
          }
        }
        forwardDct(block, coefficients);
        const t = c === 0 ? 0 : 1;
        const q = ZIGZAG.map((z) => Math.round(coefficients[z] / tables[t][z]));
        const [dcSize, dcBits] = magnitude(q[0] - previous[c]);
        previous[c] = q[0];
        const [dcCode, dcLength] = dc[t].get(dcSize);
        bits.write(dcCode, dcLength);
        if (dcSize) bits.write(dcBits, dcSize);
        let run = 0;
        for (let k = 1; k < 64; k++) {
          if (q[k] === 0) {
            run++;
            continue;
          }
          while (run > 15) {
            const [code, length] = ac[t].get(0xf0);
            bits.write(code, length);
            run -= 16;
          }
          const [size, value] = magnitude(q[k]);
          const [code, length] = ac[t].get((run << 4) | size);
          bits.write(code, length);
          bits.write(value, size);
          run = 0;
        }
        if (run > 0) {
          const [code, length] = ac[t].get(0x00);
          bits.write(code, length);
        }
      }
    }
  }
  bits.flush();
  return new Uint8Array([...head, ...bits.bytes, 0xff, 0xd9]);
}

// ---- lossless WebP (VP8L) of one colour ----

class LsbWriter {
  constructor() {
    this.bytes = [];
    this.acc = 0;
    this.count = 0;
  }
  write(value, length) {
    for (let i = 0; i < length; i++) {
      this.acc |= ((value >> i) & 1) << this.count;
      if (++this.count === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.count = 0;
      }
    }
  }
  finish() {
    if (this.count) this.bytes.push(this.acc);
    return this.bytes;
  }
}

/**
 * A lossless WebP of one ARGB colour: five "simple" prefix codes of one
 * symbol each, so every pixel costs zero bits.
 */
export function makeWebp(width = 64, height = 48, argb = 0xff3366cc) {
  const w = new LsbWriter();
  w.write(0x2f, 8); // VP8L signature
  w.write(width - 1, 14);
  w.write(height - 1, 14);
  w.write(1, 1); // alpha is used
  w.write(0, 3); // version
  w.write(0, 1); // no transform
  w.write(0, 1); // no colour cache
  w.write(0, 1); // no meta prefix codes
  const symbols = [(argb >>> 8) & 0xff, (argb >>> 16) & 0xff, argb & 0xff, (argb >>> 24) & 0xff, 0];
  for (const symbol of symbols) {
    w.write(1, 1); // simple code
    w.write(0, 1); // one symbol
    w.write(1, 1); // 8-bit symbol
    w.write(symbol, 8);
  }
  const vp8l = w.finish();
  const chunk = [...Buffer.from('VP8L'), ...u32le(vp8l.length), ...vp8l, ...(vp8l.length % 2 ? [0] : [])];
  return new Uint8Array([...Buffer.from('RIFF'), ...u32le(4 + chunk.length), ...Buffer.from('WEBP'), ...chunk]);
}

function u32le(n) {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** A 1x1 GIF89a (global colour table of two, one LZW-coded pixel). */
export function makeGif() {
  return new Uint8Array([
    ...Buffer.from('GIF89a'), 1, 0, 1, 0, 0x80, 0, 0, // logical screen 1x1, global table of 2 colours
    0xff, 0x33, 0x66, 0, 0, 0, // the table
    0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, // image descriptor
    2, 2, 0x44, 0x01, 0, // LZW minimum code size 2, one data block
    0x3b, // trailer
  ]);
}

/** A WAV file: 16-bit mono PCM, a sine tone. */
export function makeWav(samples = 8000, rate = 8000) {
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return new Uint8Array(Buffer.concat([header, data]));
}
