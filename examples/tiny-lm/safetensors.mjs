// @ts-check
// Our own writer and strict reader of the safetensors format
// (https://huggingface.co/docs/safetensors), in plain JavaScript so that
// `node examples/…` can import it without a build step.
//
// Layout of a file:
//   8 bytes    N, the header length, unsigned 64-bit little-endian
//   N bytes    UTF-8 JSON header, starting with `{`, possibly padded at the
//              end with spaces:
//                {"__metadata__": {"key": "value", …},
//                 "<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …}
//   rest       the byte buffer; offsets are relative to its start; tensors
//              are little-endian, row-major, contiguous: sorted by offset they
//              tile the buffer exactly, with no gap, overlap or trailing byte.
//
// Writer: tensors in sorted name order (JS string order), `__metadata__`
// first, keys of `__metadata__` sorted, no whitespace, header padded with
// spaces so the buffer starts at a multiple of 8: the same input always gives
// the same bytes.
//
// Reader: every malformed input throws provenant's InputError with code
// 'ERR_MALFORMED' (never anything else), see decodeSafetensors.
//
// Dtypes: BOOL, U8, I8, U16, I16, U32, I32, U64, I64, F16, BF16, F32, F64.
// F16 and BF16 are read (tensorValues widens them to Float32Array) and can be
// written from raw bytes only. The 8-bit and sub-byte float formats (F8_*,
// F6_*, F4), complex and any other dtype are rejected as unsupported.
import { InputError } from 'provenant';

/** Largest header accepted, as in the reference implementation (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * @typedef {'BOOL' | 'U8' | 'I8' | 'U16' | 'I16' | 'U32' | 'I32' | 'U64' | 'I64' | 'F16' | 'BF16' | 'F32' | 'F64'} Dtype
 * @typedef {Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | BigUint64Array | BigInt64Array | Float32Array | Float64Array} TypedArray
 * @typedef {{ dtype: Dtype, shape: number[], data: Uint8Array }} Tensor a decoded tensor: raw little-endian bytes (a copy)
 * @typedef {{ dtype: Dtype, shape: readonly number[], data: TypedArray }} TensorInput
 *   a tensor to write: `data` is the typed array of the dtype (Float32Array for F32…),
 *   or a Uint8Array of raw little-endian bytes for any dtype
 * @typedef {{ tensors: Map<string, Tensor>, metadata: Record<string, string> }} Safetensors
 */

/** @type {Readonly<Record<Dtype, { size: number, Array: (new (length: number) => TypedArray) | null }>>} */
const DTYPES = Object.freeze({
  BOOL: { size: 1, Array: Uint8Array },
  U8: { size: 1, Array: Uint8Array },
  I8: { size: 1, Array: Int8Array },
  U16: { size: 2, Array: Uint16Array },
  I16: { size: 2, Array: Int16Array },
  U32: { size: 4, Array: Uint32Array },
  I32: { size: 4, Array: Int32Array },
  U64: { size: 8, Array: BigUint64Array },
  I64: { size: 8, Array: BigInt64Array },
  F16: { size: 2, Array: null },
  BF16: { size: 2, Array: null },
  F32: { size: 4, Array: Float32Array },
  F64: { size: 8, Array: Float64Array },
});

/** The dtypes this module reads and writes. */
export const DTYPE_NAMES = Object.freeze(/** @type {Dtype[]} */ (Object.keys(DTYPES)));

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** @param {string} message */
function malformed(message) {
  return new InputError('ERR_MALFORMED', `safetensors: ${message}`);
}

/**
 * @param {unknown} name
 * @returns {name is Dtype}
 */
function isDtype(name) {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, name);
}

/** Reverse the byte order of each `size`-byte element, in place. */
function swapBytes(/** @type {Uint8Array} */ bytes, /** @type {number} */ size) {
  if (size === 1) return;
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

/**
 * Number of elements of `shape`, or -1 if it is not a list of non-negative
 * safe integers or the product is not a safe integer.
 * @param {unknown} shape
 */
function elementCount(shape) {
  if (!Array.isArray(shape)) return -1;
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) return -1;
    n *= d;
    if (!Number.isSafeInteger(n)) return -1;
  }
  return n;
}

// ---------------------------------------------------------------- writing

/**
 * Serialize tensors (and optional string metadata) as safetensors bytes.
 * Deterministic: tensors in sorted name order, metadata keys sorted, header
 * padded with spaces to 8-byte alignment.
 *
 * Programmer mistakes (wrong types, a data length that does not match the
 * shape) throw TypeError / RangeError.
 *
 * @param {Record<string, TensorInput> | Map<string, TensorInput>} tensors
 * @param {Record<string, string>} [metadata]
 * @returns {Uint8Array}
 */
export function encodeSafetensors(tensors, metadata = {}) {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  /** @type {string[]} */
  const parts = [];
  const metaKeys = Object.keys(metadata).sort();
  if (metaKeys.length > 0) {
    const fields = metaKeys.map((key) => {
      const value = metadata[key];
      if (typeof value !== 'string') throw new TypeError(`metadata ${JSON.stringify(key)} must be a string`);
      return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    });
    parts.push(`"__metadata__":{${fields.join(',')}}`);
  }
  /** @type {Uint8Array[]} */
  const chunks = [];
  let offset = 0;
  const seen = new Set();
  for (const [name, tensor] of entries) {
    if (typeof name !== 'string') throw new TypeError('tensor names must be strings');
    if (name === '__metadata__') throw new TypeError('"__metadata__" is reserved and cannot name a tensor');
    if (seen.has(name)) throw new TypeError(`duplicate tensor name ${JSON.stringify(name)}`);
    seen.add(name);
    const bytes = tensorBytes(name, tensor);
    parts.push(
      `${JSON.stringify(name)}:{"dtype":${JSON.stringify(tensor.dtype)},"shape":[${tensor.shape.join(',')}],` +
        `"data_offsets":[${offset},${offset + bytes.length}]}`,
    );
    chunks.push(bytes);
    offset += bytes.length;
  }
  let header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padding = (8 - (header.length % 8)) % 8;
  if (padding > 0) {
    const padded = new Uint8Array(header.length + padding).fill(0x20);
    padded.set(header);
    header = padded;
  }
  if (header.length > MAX_HEADER_BYTES) throw new RangeError(`header of ${header.length} bytes is above the ${MAX_HEADER_BYTES}-byte limit`);
  const out = new Uint8Array(8 + header.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * The little-endian bytes of one tensor to write, validated against its
 * dtype and shape.
 * @param {string} name
 * @param {TensorInput} tensor
 * @returns {Uint8Array}
 */
function tensorBytes(name, tensor) {
  const where = `tensor ${JSON.stringify(name)}`;
  if (tensor === null || typeof tensor !== 'object') throw new TypeError(`${where} must be an object`);
  const { dtype, shape, data } = tensor;
  if (!isDtype(dtype)) throw new TypeError(`${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${DTYPE_NAMES.join(', ')})`);
  const count = elementCount(shape);
  if (count < 0) throw new TypeError(`${where}: shape must be an array of non-negative integers`);
  const { size, Array: Ctor } = DTYPES[dtype];
  if (!ArrayBuffer.isView(data)) throw new TypeError(`${where}: data must be a typed array`);
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (data instanceof Uint8Array) {
    // raw little-endian bytes (or the values of a U8 / BOOL tensor)
  } else if (Ctor !== null && data instanceof Ctor) {
    if (!LITTLE_ENDIAN) swapBytes(raw, size);
  } else {
    throw new TypeError(`${where}: data for ${dtype} must be ${Ctor ? `a ${Ctor.name} or ` : ''}a Uint8Array of raw bytes`);
  }
  if (raw.length !== count * size) {
    throw new RangeError(`${where}: shape [${shape.join(', ')}] of ${dtype} needs ${count * size} bytes, data has ${raw.length}`);
  }
  return raw;
}

// ---------------------------------------------------------------- reading

/**
 * Parse and validate safetensors bytes. Strict: throws InputError
 * 'ERR_MALFORMED' for a truncated file, a header length beyond the file or
 * above 100 MB, a header that is not UTF-8 JSON starting with `{`, duplicate
 * keys at any level, a tensor entry that is not exactly
 * {dtype, shape, data_offsets}, an unknown or unsupported dtype, a shape that
 * is not a list of non-negative integers, offsets that do not match
 * shape × dtype size, offsets that overlap, leave a gap, leave trailing bytes
 * or run past the buffer, and `__metadata__` that is not an object of
 * strings. Anything else that goes wrong is also reported as ERR_MALFORMED.
 *
 * Tensor data is copied out of `bytes` (aligned, independent of the input).
 *
 * @param {Uint8Array} bytes
 * @returns {Safetensors}
 */
export function decodeSafetensors(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeSafetensors expects a Uint8Array');
  try {
    return decode(bytes);
  } catch (err) {
    if (err instanceof InputError && err.code === 'ERR_MALFORMED') throw err;
    // A bug or an engine limit (e.g. out of memory) on hostile input: still
    // report it as malformed input, with the original error as the cause.
    throw new InputError('ERR_MALFORMED', `safetensors: cannot parse: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** @param {Uint8Array} bytes @returns {Safetensors} */
function decode(bytes) {
  if (bytes.length < 8) throw malformed(`truncated file: ${bytes.length} bytes, the header length alone needs 8`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) throw malformed(`header length ${headerLength} is above the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(headerLength);
  if (8 + n > bytes.length) throw malformed(`truncated file: header length ${n} runs past the end of the ${bytes.length}-byte file`);
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw malformed('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw malformed('header must be a JSON object starting with "{"');
  const header = parseJson(text);
  if (!(header instanceof Map)) throw malformed('header must be a JSON object');
  const bufferStart = 8 + n;
  const bufferLength = bytes.length - bufferStart;

  /** @type {Record<string, string>} */
  const metadata = Object.create(null);
  /** @type {{ name: string, dtype: Dtype, shape: number[], begin: number, end: number }[]} */
  const infos = [];
  for (const [name, value] of header) {
    if (name === '__metadata__') {
      if (!(value instanceof Map)) throw malformed('"__metadata__" must be an object of strings');
      for (const [key, v] of value) {
        if (typeof v !== 'string') throw malformed(`metadata ${JSON.stringify(key)} must be a string, not ${describe(v)}`);
        metadata[key] = v;
      }
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (!(value instanceof Map)) throw malformed(`${where} must be an object`);
    for (const key of value.keys()) {
      if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') throw malformed(`${where}: unknown field ${JSON.stringify(key)}`);
    }
    const dtype = value.get('dtype');
    const shape = value.get('shape');
    const offsets = value.get('data_offsets');
    if (typeof dtype !== 'string') throw malformed(`${where}: dtype must be a string`);
    if (!isDtype(dtype)) throw malformed(`${where}: unknown or unsupported dtype ${JSON.stringify(dtype)} (supported: ${DTYPE_NAMES.join(', ')})`);
    const count = elementCount(shape);
    if (count < 0 || !Array.isArray(shape)) throw malformed(`${where}: shape must be an array of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw malformed(`${where}: data_offsets must be [begin, end], two non-negative integers`);
    }
    const [begin, end] = /** @type {[number, number]} */ (offsets);
    if (begin > end) throw malformed(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    const expected = count * DTYPES[dtype].size;
    if (!Number.isSafeInteger(expected) || end - begin !== expected) {
      throw malformed(`${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, shape [${shape.join(', ')}] of ${dtype} needs ${expected}`);
    }
    if (end > bufferLength) throw malformed(`${where}: data_offsets [${begin}, ${end}] run past the ${bufferLength}-byte buffer`);
    infos.push({ name, dtype, shape: /** @type {number[]} */ (shape), begin, end });
  }

  // Sorted by offset, the tensors must tile the buffer exactly.
  const byOffset = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const info of byOffset) {
    if (info.begin < at) throw malformed(`tensor ${JSON.stringify(info.name)}: data_offsets [${info.begin}, ${info.end}] overlap another tensor`);
    if (info.begin > at) throw malformed(`gap in the buffer: bytes ${at}..${info.begin} belong to no tensor`);
    at = info.end;
  }
  if (at !== bufferLength) throw malformed(`the buffer has ${bufferLength - at} trailing bytes that belong to no tensor`);

  /** @type {Map<string, Tensor>} */
  const tensors = new Map();
  for (const info of infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const data = bytes.slice(bufferStart + info.begin, bufferStart + info.end);
    tensors.set(info.name, { dtype: info.dtype, shape: info.shape, data });
  }
  return { tensors, metadata };
}

/** @param {unknown} v */
function describe(v) {
  if (v instanceof Map) return 'an object';
  if (Array.isArray(v)) return 'an array';
  return v === null ? 'null' : typeof v;
}

/**
 * The values of a decoded tensor as a typed array of its dtype (a copy):
 * Float32Array for F32, BigInt64Array for I64, Uint8Array for U8 and BOOL…;
 * F16 and BF16 are widened to Float32Array.
 * @param {{ dtype: Dtype, data: Uint8Array }} tensor
 * @returns {TypedArray}
 */
export function tensorValues(tensor) {
  const { dtype, data } = tensor;
  if (!isDtype(dtype)) throw new TypeError(`unsupported dtype ${JSON.stringify(dtype)}`);
  const { size, Array: Ctor } = DTYPES[dtype];
  if (data.length % size !== 0) throw new RangeError(`${data.length} bytes is not a whole number of ${dtype} values`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (Ctor === null) {
    const out = new Float32Array(data.length / 2);
    for (let i = 0; i < out.length; i++) {
      const bits = view.getUint16(2 * i, true);
      out[i] = dtype === 'BF16' ? bf16ToNumber(bits) : f16ToNumber(bits);
    }
    return out;
  }
  const out = new Ctor(data.length / size);
  const outBytes = new Uint8Array(out.buffer);
  outBytes.set(data);
  if (!LITTLE_ENDIAN) swapBytes(outBytes, size);
  return out;
}

/** @param {number} bits */
function f16ToNumber(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** @param {number} bits */
function bf16ToNumber(bits) {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits << 16);
  return view.getFloat32(0);
}

// ------------------------------------------------------- strict JSON parser

/**
 * A small RFC 8259 JSON parser that, unlike JSON.parse, rejects duplicate
 * keys. Objects become Maps (so names like "__proto__" are plain data).
 * @param {string} text
 * @returns {unknown}
 */
function parseJson(text) {
  let i = 0;
  const MAX_DEPTH = 64;
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  /** @param {string} message @returns {never} */
  const fail = (message) => {
    throw malformed(`header is not valid JSON: ${message} at character ${i}`);
  };
  const skipSpace = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const string = () => {
    const start = i++;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) fail('control character in a string');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          fail('bad escape');
        }
      } else {
        i++;
      }
    }
    i++;
    return /** @type {string} */ (JSON.parse(text.slice(start, i)));
  };
  /** @param {number} depth @returns {unknown} */
  const value = (depth) => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    skipSpace();
    const c = text[i];
    if (c === '{') {
      i++;
      /** @type {Map<string, unknown>} */
      const map = new Map();
      skipSpace();
      if (text[i] === '}') {
        i++;
        return map;
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail('expected a string key');
        const key = string();
        if (map.has(key)) throw malformed(`duplicate key ${JSON.stringify(key)} in the header`);
        skipSpace();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        map.set(key, value(depth + 1));
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return map;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      /** @type {unknown[]} */
      const list = [];
      skipSpace();
      if (text[i] === ']') {
        i++;
        return list;
      }
      for (;;) {
        list.push(value(depth + 1));
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return list;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    for (const [word, v] of /** @type {const} */ ([['true', true], ['false', false], ['null', null]])) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) fail('unexpected character');
    i += m[0].length;
    return Number(m[0]);
  };
  const result = value(0);
  skipSpace();
  if (i !== text.length) fail('trailing characters after the header object');
  return result;
}
