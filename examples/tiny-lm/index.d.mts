// Types of examples/tiny-lm/index.mjs (hand-written: the modules are plain
// JavaScript so that Node can run them without a build step). This file is a
// `.d.mts` because TypeScript (moduleResolution NodeNext) looks up the types
// of `./index.mjs` in `./index.d.mts`.

// ------------------------------------------------------------ safetensors

/** The dtypes our safetensors reader and writer support. */
export type Dtype = 'BOOL' | 'U8' | 'I8' | 'U16' | 'I16' | 'U32' | 'I32' | 'U64' | 'I64' | 'F16' | 'BF16' | 'F32' | 'F64';

export type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** A decoded tensor: its raw little-endian bytes (a copy, aligned). */
export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: Uint8Array;
}

/**
 * A tensor to write: `data` is the typed array of the dtype (Float32Array
 * for F32, BigInt64Array for I64, ...) or a Uint8Array of raw little-endian
 * bytes (the only form accepted for F16 and BF16).
 */
export interface TensorInput {
  dtype: Dtype;
  shape: readonly number[];
  data: TypedArray;
}

/** A decoded file: tensors in sorted name order, and the `__metadata__` strings. */
export interface Safetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Largest header the reader accepts (100,000,000 bytes). */
export declare const MAX_HEADER_BYTES: number;
/** The dtypes the reader and writer support. */
export declare const DTYPE_NAMES: readonly Dtype[];

/**
 * Serialize tensors and optional string metadata as safetensors bytes,
 * deterministically (sorted names, sorted metadata keys, space padding to 8
 * bytes). Programmer mistakes throw TypeError / RangeError.
 */
export declare function encodeSafetensors(
  tensors: Record<string, TensorInput> | Map<string, TensorInput>,
  metadata?: Record<string, string>,
): Uint8Array;

/**
 * Parse and strictly validate safetensors bytes; any malformed input throws
 * provenant's InputError with code 'ERR_MALFORMED'.
 */
export declare function decodeSafetensors(bytes: Uint8Array): Safetensors;

/** The values of a decoded tensor as a typed array (F16 / BF16 widened to Float32Array). */
export declare function tensorValues(tensor: { dtype: Dtype; data: Uint8Array }): TypedArray;

// ------------------------------------------------------------------ model

/** A character bigram language model. */
export interface TinyLm {
  readonly architecture: 'char-bigram';
  /** index → character (one code point); vocab[0] is UNK (U+FFFD); the rest sorted by code point. */
  readonly vocab: readonly string[];
  /** [V] log P(first character). */
  readonly initial: Float32Array;
  /** [V, V] row-major: logits[p * V + c] = log P(c | p). */
  readonly logits: Float32Array;
  /** The add-k smoothing constant used in training. */
  readonly k: number;
  readonly trainingTexts: number;
  /** Characters (code points) seen in training. */
  readonly trainingChars: number;
}

export interface TrainOptions {
  /** Add-k smoothing constant, > 0 (default 0.1). */
  k?: number;
  /** Use this vocabulary (single code points) instead of the texts' own; with no texts this gives the uniform, untrained model. */
  vocab?: Iterable<string>;
}

export interface GenerateOptions {
  /** Text to continue (default ''). */
  prompt?: string;
  /** Characters to generate (default 100). */
  maxTokens?: number;
  /** 0 = greedy argmax; 1 = the model's distribution (default 1). */
  temperature?: number;
  /** PRNG seed, an integer in [0, 2^32) (default 0). */
  seed?: number;
}

/** Index 0 of every vocabulary: any character the model never saw. */
export declare const UNK: '\uFFFD';
/** `format` metadata of our files. */
export declare const FORMAT: 'provenant-tiny-lm';
/** `format_version` metadata of our files. */
export declare const FORMAT_VERSION: '1';
/** Default add-k smoothing constant (0.1). */
export declare const DEFAULT_K: number;

/** Train on `texts` (one document each); deterministic. */
export declare function train(texts: readonly string[], options?: TrainOptions): TinyLm;
/** The model as deterministic safetensors bytes. */
export declare function save(model: TinyLm): Uint8Array;
/** Read a model written by save(); anything invalid throws InputError 'ERR_MALFORMED'. */
export declare function load(bytes: Uint8Array): TinyLm;
/** Generate `maxTokens` characters continuing `prompt` (the continuation only); deterministic given the seed. */
export declare function generate(model: TinyLm, options?: GenerateOptions): string;
/** exp(mean negative log-likelihood per character); a uniform model over V characters gives V. */
export declare function perplexity(model: TinyLm, text: string): number;
/** mulberry32: a seeded PRNG returning floats in [0, 1). */
export declare function mulberry32(seed: number): () => number;

// ----------------------------------------------------------------- corpus

/** Absolute path of the bundled corpus directory. */
export declare const CORPUS_DIR: string;
/** The bundled datasets (sub-directories of CORPUS_DIR). */
export declare const DATASETS: readonly ['poems', 'recipes', 'spam'];
/** The texts of a dataset directory: its `*.txt` files in sorted name order, one text per file. */
export declare function readCorpus(dir: string): Promise<string[]>;
