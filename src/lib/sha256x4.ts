/**
 * SHA-256 (FIPS 180-4) of four messages at once, in WebAssembly SIMD.
 *
 * One 128-bit vector holds the same 32-bit word of four independent
 * messages, so every instruction of the compression function advances four
 * hashes. On a CPU without the SHA extensions this does about 1.5 times the
 * bytes per core of OpenSSL's single-stream code for long messages, and 2 to
 * 3 times for short ones (where OpenSSL's per-call cost dominates): see
 * bench/outputs.mjs and bench/hash.mjs. It only pays when at least three
 * lanes are busy; one message alone is hashed faster by `node:crypto`.
 *
 * The module is generated here, instruction by instruction, rather than
 * shipped as a binary: the compression function is fully unrolled (the 48
 * schedule steps and the 64 rounds), with the eight working variables
 * renamed round by round instead of moved.
 *
 * Memory layout (bytes): [0, 1024) the round constants, each splatted to
 * four lanes; [1024, 2048) the message schedule W[0..63]; [2048, 2176) the
 * state, word-major (word w of lane l at 2048 + 16w + 4l); from
 * {@link DATA_START} on, the caller's messages.
 */

/** First byte of memory free for messages. */
export const DATA_START = 4096;
const K_AT = 0;
const W_AT = 1024;
const STATE_AT = 2048;
const PAGE = 65536;

/** FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
/** FIPS 180-4 section 5.3.3: the initial hash value. */
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

// ---------------------------------------------------------------- a minimal WebAssembly writer

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const utf8 = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];

const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(n | 0)],
  i32Load: (offset: number) => [0x28, 2, ...uleb(offset)],
  i32Store: (offset: number) => [0x36, 2, ...uleb(offset)],
  i32Eqz: [0x45],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  vLoad: (offset: number) => [...simd(0x00), 4, ...uleb(offset)],
  vStore: (offset: number) => [...simd(0x0b), 4, ...uleb(offset)],
  shuffle: (lanes: number[]) => [...simd(0x0d), ...lanes],
  xor: simd(0x51),
  or: simd(0x50),
  bitselect: simd(0x52),
  shl: simd(0xab),
  shrU: simd(0xad),
  add: simd(0xae),
};

/**
 * The module: memory (exported), and `compress(p0, p1, p2, p3, n)`, which
 * runs n blocks of each lane through the compression function, lane l
 * reading its blocks from p_l, p_l + 64, ...; the state is updated in place.
 */
function moduleBytes(): Uint8Array {
  // Parameters 0-4: p0..p3, n. Locals: a..h (5-12), t1 (13), t2 (14), x (15), all v128.
  const P = [0, 1, 2, 3];
  const N = 4;
  const V = 5;
  const T1 = 13;
  const T2 = 14;
  const X = 15;
  const code: number[] = [];
  const emit = (...parts: number[][]): void => {
    for (const part of parts) for (const b of part) code.push(b);
  };
  const rotr = (local: number, n: number): number[] => [...op.get(local), ...op.i32(n), ...op.shrU, ...op.get(local), ...op.i32(32 - n), ...op.shl, ...op.or];
  const zero = op.i32(0);

  emit(op.block, op.loop);
  emit(op.get(N), op.i32Eqz, op.brIf(1));
  // W[0..15]: word j of lane l, read as little-endian, then every word byte-swapped.
  for (let j = 0; j < 16; j++) for (let l = 0; l < 4; l++) emit(zero, op.get(P[l]!), op.i32Load(4 * j), op.i32Store(W_AT + 16 * j + 4 * l));
  const bswap = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];
  for (let j = 0; j < 16; j++) emit(zero, zero, op.vLoad(W_AT + 16 * j), zero, op.vLoad(W_AT + 16 * j), op.shuffle(bswap), op.vStore(W_AT + 16 * j));
  // W[16..63] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16]
  for (let t = 16; t < 64; t++) {
    emit(zero);
    emit(zero, op.vLoad(W_AT + 16 * (t - 2)), op.set(X), rotr(X, 17), rotr(X, 19), op.xor, op.get(X), op.i32(10), op.shrU, op.xor);
    emit(zero, op.vLoad(W_AT + 16 * (t - 7)), op.add);
    emit(zero, op.vLoad(W_AT + 16 * (t - 15)), op.set(X), rotr(X, 7), rotr(X, 18), op.xor, op.get(X), op.i32(3), op.shrU, op.xor, op.add);
    emit(zero, op.vLoad(W_AT + 16 * (t - 16)), op.add);
    emit(op.vStore(W_AT + 16 * t));
  }
  for (let i = 0; i < 8; i++) emit(zero, op.vLoad(STATE_AT + 16 * i), op.set(V + i));
  for (let t = 0; t < 64; t++) {
    // Role i (0 = a ... 7 = h) lives in local V + ((i - t) mod 8) this round.
    const r = (i: number): number => V + ((((i - t) % 8) + 8) % 8);
    const [a, b, c, d, e, f, g, h] = [r(0), r(1), r(2), r(3), r(4), r(5), r(6), r(7)];
    // T1 = h + Sigma1(e) + Ch(e, f, g) + K[t] + W[t]; Ch is a bit select of f and g by e.
    emit(rotr(e, 6), rotr(e, 11), op.xor, rotr(e, 25), op.xor, op.get(h), op.add);
    emit(op.get(f), op.get(g), op.get(e), op.bitselect, op.add);
    emit(zero, op.vLoad(K_AT + 16 * t), op.add, zero, op.vLoad(W_AT + 16 * t), op.add, op.set(T1));
    // T2 = Sigma0(a) + Maj(a, b, c); Maj is c where a and b differ, else a.
    emit(rotr(a, 2), rotr(a, 13), op.xor, rotr(a, 22), op.xor);
    emit(op.get(c), op.get(a), op.get(a), op.get(b), op.xor, op.bitselect, op.add, op.set(T2));
    // d += T1; the local of h takes T1 + T2 and is a in the next round.
    emit(op.get(d), op.get(T1), op.add, op.set(d));
    emit(op.get(T1), op.get(T2), op.add, op.set(h));
  }
  // 64 rounds bring every role back to its own local.
  for (let i = 0; i < 8; i++) emit(zero, zero, op.vLoad(STATE_AT + 16 * i), op.get(V + i), op.add, op.vStore(STATE_AT + 16 * i));
  for (const p of P) emit(op.get(p), op.i32(64), op.i32Add, op.set(p));
  emit(op.get(N), op.i32(1), op.i32Sub, op.set(N));
  emit(op.br(0), op.end, op.end, op.end);

  const i32 = 0x7f;
  const v128 = 0x7b;
  const body = [...vec([[...uleb(11), v128]]), ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[i32], [i32], [i32], [i32], [i32]]), 0]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([[...utf8('memory'), 2, 0], [...utf8('compress'), 0, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

// The little of the WebAssembly JS API used here (the project's type libraries do not declare it).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmModule {
  readonly kind?: 'module';
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
}

let compiled: WasmModule | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is missing (made once per thread). */
function module(): WasmModule | null {
  if (compiled === undefined) {
    try {
      const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
      const bytes = moduleBytes();
      compiled = wasm !== undefined && wasm.validate(bytes) ? new wasm.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** Whether this runtime runs WebAssembly SIMD (every Node.js this package supports does). */
export function sha256x4Supported(): boolean {
  return module() !== null;
}

/**
 * Blocks a message of `length` bytes takes once padded: the message, 0x80,
 * zeros, and its length in bits as 8 bytes.
 */
export function paddedBlocks(length: number): number {
  return Math.floor((length + 8) / 64) + 1;
}

/**
 * Four SHA-256 lanes over one WebAssembly memory. Callers place messages in
 * memory themselves (from {@link DATA_START}), so nothing is copied twice;
 * `hashAll` schedules any number of padded messages across the lanes,
 * `compress` is the streaming primitive.
 */
export class Sha256x4 {
  readonly #memory: WasmMemory;
  readonly #compress: (p0: number, p1: number, p2: number, p3: number, n: number) => void;
  #u8!: Buffer;
  #u32!: Uint32Array;
  #view!: DataView;
  // Lane bookkeeping of hashAll, kept to avoid allocating per call.
  readonly #ptr = new Int32Array(4);
  readonly #left = new Int32Array(4);
  readonly #out = new Int32Array(4);

  /** @throws Error when WebAssembly SIMD is missing (check {@link sha256x4Supported}) */
  constructor() {
    const mod = module();
    if (mod === null) throw new Error('WebAssembly SIMD is not available in this runtime');
    const instance = new (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly.Instance(mod, {});
    const exports = instance.exports as { memory: WasmMemory; compress: (p0: number, p1: number, p2: number, p3: number, n: number) => void };
    this.#memory = exports.memory;
    this.#compress = exports.compress;
    this.#refresh();
    for (let t = 0; t < 64; t++) for (let l = 0; l < 4; l++) this.#u32[(K_AT >> 2) + 4 * t + l] = K[t]!;
  }

  #refresh(): void {
    this.#u8 = Buffer.from(this.#memory.buffer);
    this.#u32 = new Uint32Array(this.#memory.buffer);
    this.#view = new DataView(this.#memory.buffer);
  }

  /** The memory, as a Buffer over it. Valid until the next {@link Sha256x4.reserve} that grows it. */
  get bytes(): Buffer {
    return this.#u8;
  }

  /** Make sure memory reaches `end` bytes (growing invalidates earlier `bytes` views). */
  reserve(end: number): void {
    const have = this.#memory.buffer.byteLength;
    if (end > have) {
      this.#memory.grow(Math.ceil((end - have) / PAGE));
      this.#refresh();
    }
  }

  /** Start lane `lane` afresh (the initial hash value). */
  reset(lane: number): void {
    const u32 = this.#u32;
    for (let w = 0; w < 8; w++) u32[(STATE_AT >> 2) + 4 * w + lane] = IV[w]!;
  }

  /**
   * Run `n` blocks of each lane: lane l reads 64n bytes from `p[l]`. A lane
   * with nothing to do must still point at `64n` readable bytes (another
   * lane's will do) and be reset before it is used again.
   */
  compress(p0: number, p1: number, p2: number, p3: number, n: number): void {
    this.#compress(p0, p1, p2, p3, n);
  }

  /** Copy lane `lane`'s state (8 words) into `into`: a lane that must sit out some blocks is saved, then restored. */
  saveLane(lane: number, into: Uint32Array): void {
    const u32 = this.#u32;
    for (let w = 0; w < 8; w++) into[w] = u32[(STATE_AT >> 2) + 4 * w + lane]!;
  }

  /** Put back a state saved by {@link Sha256x4.saveLane}. */
  restoreLane(lane: number, from: Uint32Array): void {
    const u32 = this.#u32;
    for (let w = 0; w < 8; w++) u32[(STATE_AT >> 2) + 4 * w + lane] = from[w]!;
  }

  /** Write lane `lane`'s hash (32 bytes, big-endian words) at `at`. */
  digestTo(lane: number, at: number): void {
    const u32 = this.#u32;
    const view = this.#view;
    for (let w = 0; w < 8; w++) view.setUint32(at + 4 * w, u32[(STATE_AT >> 2) + 4 * w + lane]!, false);
  }

  /**
   * Pad the end of a message already in memory: its last `length` bytes are
   * at [at, at + length) (all of it, or the tail after whole blocks hashed
   * earlier); 0x80, zeros, and the bit length of the whole message (`total`
   * bytes, default `length`) follow up to the end of its last block.
   *
   * @returns the number of blocks from `at`
   */
  pad(at: number, length: number, total: number = length): number {
    const blocks = paddedBlocks(length);
    const end = at + 64 * blocks;
    const u8 = this.#u8;
    u8[at + length] = 0x80;
    // Uint8Array's own fill: Buffer's checks its arguments first, which costs more than the zeros.
    Uint8Array.prototype.fill.call(u8, 0, at + length + 1, end - 8);
    const bits = total * 8;
    this.#view.setUint32(end - 8, Math.floor(bits / 0x100000000), false);
    this.#view.setUint32(end - 4, bits >>> 0, false);
    return blocks;
  }

  /**
   * Hash `count` padded messages. `jobs` holds triples: where the message
   * starts, how many blocks it has, where its 32-byte hash goes. Messages are
   * fed to the lanes in order, each lane taking the next as soon as it is free.
   */
  hashAll(jobs: Int32Array, count: number): void {
    const ptr = this.#ptr;
    const left = this.#left;
    const out = this.#out;
    let next = 0;
    let active = 0;
    for (let l = 0; l < 4; l++) {
      if (next < count) {
        ptr[l] = jobs[3 * next]!;
        left[l] = jobs[3 * next + 1]!;
        out[l] = jobs[3 * next + 2]!;
        next++;
        active++;
        this.reset(l);
      } else {
        left[l] = 0;
      }
    }
    while (active > 0) {
      let n = 0x7fffffff;
      let any = 0;
      for (let l = 0; l < 4; l++) {
        if (left[l]! > 0) {
          if (left[l]! < n) n = left[l]!;
          any = ptr[l]!;
        }
      }
      // Idle lanes read along with a busy one; their results are never used.
      for (let l = 0; l < 4; l++) if (left[l] === 0) ptr[l] = any;
      this.#compress(ptr[0]!, ptr[1]!, ptr[2]!, ptr[3]!, n);
      for (let l = 0; l < 4; l++) {
        if (left[l] === 0) continue;
        ptr[l]! += 64 * n;
        left[l]! -= n;
        if (left[l] !== 0) continue;
        this.digestTo(l, out[l]!);
        if (next < count) {
          ptr[l] = jobs[3 * next]!;
          left[l] = jobs[3 * next + 1]!;
          out[l] = jobs[3 * next + 2]!;
          next++;
          this.reset(l);
        } else {
          active--;
        }
      }
    }
  }
}
