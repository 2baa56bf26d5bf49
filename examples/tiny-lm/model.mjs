// @ts-check
// A tiny but real character-level language model: a character bigram model
// with add-k smoothing, trained by counting, stored as float32
// log-probabilities in a safetensors file, and sampled deterministically
// from a seeded PRNG.
//
//   P(first char = c)        = (count(start, c) + k) / (texts + k·V)
//   P(next = c | prev = p)   = (count(p, c) + k) / (count(p, ·) + k·V)
//
// Characters are Unicode code points. The vocabulary is every code point of
// the training texts, sorted by code point, after index 0, which is always
// UNK (U+FFFD): any character outside the vocabulary (and any lone
// surrogate) is read as UNK, so perplexity is defined on any text; generate
// never emits UNK.
import { InputError } from 'provenant';
import { decodeSafetensors, encodeSafetensors, tensorValues } from './safetensors.mjs';

/** Index 0 of every vocabulary: stands for any character the model never saw. */
export const UNK = '\uFFFD';
/** The `format` metadata value of our safetensors files. */
export const FORMAT = 'provenant-tiny-lm';
/** The `format_version` metadata value this module writes and reads. */
export const FORMAT_VERSION = '1';
/** Default add-k smoothing constant. */
export const DEFAULT_K = 0.1;

/**
 * @typedef {object} TinyLm
 * @property {'char-bigram'} architecture
 * @property {readonly string[]} vocab index → character (one code point); vocab[0] is UNK
 * @property {Float32Array} initial [V] log P(first character)
 * @property {Float32Array} logits [V, V] row-major: logits[p·V + c] = log P(c | p) (normalized log-probabilities)
 * @property {number} k the add-k smoothing constant used in training
 * @property {number} trainingTexts how many texts it was trained on
 * @property {number} trainingChars how many characters (code points) it was trained on
 */

/**
 * @typedef {object} TrainOptions
 * @property {number} [k] add-k smoothing constant, > 0 (default 0.1)
 * @property {Iterable<string>} [vocab] use this vocabulary (single code
 *   points) instead of the one of the texts; with no texts this gives the
 *   untrained, uniform model
 */

/**
 * @typedef {object} GenerateOptions
 * @property {string} [prompt] text to continue (default ''); only its last character matters to a bigram
 * @property {number} [maxTokens] number of characters to generate (default 100)
 * @property {number} [temperature] 0 = greedy argmax; 1 = the model's distribution (default 1)
 * @property {number} [seed] PRNG seed, an integer in [0, 2^32) (default 0)
 */

/** @param {string} ch */
function isLoneSurrogate(ch) {
  const c = ch.charCodeAt(0);
  return ch.length === 1 && c >= 0xd800 && c <= 0xdfff;
}

/** @param {string} a @param {string} b */
function byCodePoint(a, b) {
  return /** @type {number} */ (a.codePointAt(0)) - /** @type {number} */ (b.codePointAt(0));
}

/** @param {readonly string[]} vocab */
function indexOf(vocab) {
  return new Map(vocab.map((ch, i) => [ch, i]));
}

/**
 * Train a character bigram model on `texts` (each text is one document: its
 * first character is scored by the start distribution). Deterministic: the
 * same texts and options give the same model and the same saved bytes.
 * @param {readonly string[]} texts
 * @param {TrainOptions} [options]
 * @returns {TinyLm}
 */
export function train(texts, options = {}) {
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw new TypeError('train expects an array of strings');
  const k = options.k ?? DEFAULT_K;
  if (typeof k !== 'number' || !Number.isFinite(k) || k <= 0) throw new RangeError(`k must be a finite number > 0, got ${k}`);

  /** @type {Set<string>} */
  const chars = new Set();
  if (options.vocab !== undefined) {
    for (const ch of options.vocab) {
      if (typeof ch !== 'string' || [...ch].length !== 1 || isLoneSurrogate(ch)) {
        throw new TypeError(`vocabulary entries must be single Unicode code points, got ${JSON.stringify(ch)}`);
      }
      chars.add(ch);
    }
  } else {
    for (const text of texts) for (const ch of text) chars.add(ch);
  }
  const vocab = [UNK, ...[...chars].filter((ch) => ch !== UNK && !isLoneSurrogate(ch)).sort(byCodePoint)];
  const V = vocab.length;
  const index = indexOf(vocab);

  const startCounts = new Float64Array(V);
  const pairCounts = new Float64Array(V * V);
  let trainingChars = 0;
  for (const text of texts) {
    let prev = -1;
    for (const ch of text) {
      const id = index.get(ch) ?? 0;
      if (prev < 0) startCounts[id] += 1;
      else pairCounts[prev * V + id] += 1;
      prev = id;
      trainingChars++;
    }
  }

  const initial = new Float32Array(V);
  normalizeRow(startCounts, initial, k);
  const logits = new Float32Array(V * V);
  for (let p = 0; p < V; p++) normalizeRow(pairCounts.subarray(p * V, (p + 1) * V), logits.subarray(p * V, (p + 1) * V), k);

  return Object.freeze({
    architecture: /** @type {const} */ ('char-bigram'),
    vocab: Object.freeze(vocab),
    initial,
    logits,
    k,
    trainingTexts: texts.length,
    trainingChars,
  });
}

/**
 * Add-k smoothed log-probabilities of one row of counts, rounded to float32.
 * @param {Float64Array} counts @param {Float32Array} out @param {number} k
 */
function normalizeRow(counts, out, k) {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += /** @type {number} */ (counts[i]) + k;
  for (let i = 0; i < counts.length; i++) out[i] = Math.log((/** @type {number} */ (counts[i]) + k) / total);
}

/**
 * Check the invariants of a model object (programmer mistakes: TypeError).
 * @param {TinyLm} model
 */
function assertModel(model) {
  const V = model?.vocab?.length;
  if (
    typeof V !== 'number' ||
    V < 1 ||
    model.vocab[0] !== UNK ||
    !(model.initial instanceof Float32Array) ||
    model.initial.length !== V ||
    !(model.logits instanceof Float32Array) ||
    model.logits.length !== V * V
  ) {
    throw new TypeError('not a TinyLm: expected vocab (with UNK first), initial [V] and logits [V*V] Float32Arrays');
  }
}

/**
 * The model as safetensors bytes: tensors `initial` F32 [V], `logits` F32
 * [V, V] and `vocab` U8 [bytes] (the UTF-8 of the vocabulary characters
 * concatenated, UNK first), metadata format, format_version, architecture,
 * k, training_texts, training_chars. Deterministic.
 * @param {TinyLm} model
 * @returns {Uint8Array}
 */
export function save(model) {
  assertModel(model);
  const V = model.vocab.length;
  const vocabUtf8 = new TextEncoder().encode(model.vocab.join(''));
  return encodeSafetensors(
    {
      initial: { dtype: 'F32', shape: [V], data: model.initial },
      logits: { dtype: 'F32', shape: [V, V], data: model.logits },
      vocab: { dtype: 'U8', shape: [vocabUtf8.length], data: vocabUtf8 },
    },
    {
      format: FORMAT,
      format_version: FORMAT_VERSION,
      architecture: model.architecture,
      k: String(model.k),
      training_texts: String(model.trainingTexts),
      training_chars: String(model.trainingChars),
    },
  );
}

/** @param {string} message */
function malformed(message) {
  return new InputError('ERR_MALFORMED', `tiny-lm: ${message}`);
}

/**
 * Read a model written by {@link save}. Strict: anything that is not a valid
 * model (malformed safetensors, missing or extra tensors, wrong dtypes or
 * shapes, a vocabulary that is not UNK followed by strictly increasing code
 * points, non-finite values, rows that are not probability distributions,
 * missing or non-canonical metadata) throws InputError 'ERR_MALFORMED'.
 * Unknown metadata keys are ignored. A non-Uint8Array argument is a
 * programmer mistake (TypeError).
 * @param {Uint8Array} bytes
 * @returns {TinyLm}
 */
export function load(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('load expects a Uint8Array');
  try {
    return loadModel(bytes);
  } catch (err) {
    if (err instanceof InputError && err.code === 'ERR_MALFORMED') throw err;
    throw new InputError('ERR_MALFORMED', `tiny-lm: cannot load: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** @param {Uint8Array} bytes @returns {TinyLm} */
function loadModel(bytes) {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const names = [...tensors.keys()];
  if (names.length !== 3 || !tensors.has('initial') || !tensors.has('logits') || !tensors.has('vocab')) {
    throw malformed(`expected exactly the tensors initial, logits, vocab; found ${names.map((n) => JSON.stringify(n)).join(', ') || 'none'}`);
  }
  const vocabTensor = /** @type {import('./safetensors.mjs').Tensor} */ (tensors.get('vocab'));
  const initialTensor = /** @type {import('./safetensors.mjs').Tensor} */ (tensors.get('initial'));
  const logitsTensor = /** @type {import('./safetensors.mjs').Tensor} */ (tensors.get('logits'));

  if (metadata.format !== FORMAT) throw malformed(`metadata format must be ${JSON.stringify(FORMAT)}`);
  if (metadata.format_version !== FORMAT_VERSION) throw malformed(`unsupported format_version ${JSON.stringify(metadata.format_version)}`);
  if (metadata.architecture !== 'char-bigram') throw malformed(`unsupported architecture ${JSON.stringify(metadata.architecture)}`);
  const k = canonicalNumber(metadata.k, 'k');
  if (!(k > 0) || !Number.isFinite(k)) throw malformed('metadata k must be a finite number > 0');
  const trainingTexts = canonicalNumber(metadata.training_texts, 'training_texts');
  const trainingChars = canonicalNumber(metadata.training_chars, 'training_chars');
  if (!Number.isSafeInteger(trainingTexts) || trainingTexts < 0) throw malformed('metadata training_texts must be a non-negative integer');
  if (!Number.isSafeInteger(trainingChars) || trainingChars < 0) throw malformed('metadata training_chars must be a non-negative integer');

  if (vocabTensor.dtype !== 'U8' || vocabTensor.shape.length !== 1) throw malformed('vocab must be a 1-D U8 tensor');
  let vocabText;
  try {
    vocabText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(vocabTensor.data);
  } catch {
    throw malformed('vocab is not valid UTF-8');
  }
  const vocab = [...vocabText];
  if (vocab[0] !== UNK) throw malformed('vocab must start with UNK (U+FFFD)');
  for (let i = 2; i < vocab.length; i++) {
    if (byCodePoint(/** @type {string} */ (vocab[i - 1]), /** @type {string} */ (vocab[i])) >= 0) {
      throw malformed('vocab characters after UNK must be strictly increasing code points');
    }
  }
  if (vocab.lastIndexOf(UNK) !== 0) throw malformed('vocab lists UNK twice');
  const V = vocab.length;

  if (initialTensor.dtype !== 'F32' || initialTensor.shape.length !== 1 || initialTensor.shape[0] !== V) {
    throw malformed(`initial must be F32 [${V}]`);
  }
  if (logitsTensor.dtype !== 'F32' || logitsTensor.shape.length !== 2 || logitsTensor.shape[0] !== V || logitsTensor.shape[1] !== V) {
    throw malformed(`logits must be F32 [${V}, ${V}]`);
  }
  const initial = /** @type {Float32Array} */ (tensorValues(initialTensor));
  const logits = /** @type {Float32Array} */ (tensorValues(logitsTensor));
  checkDistribution(initial, 'initial');
  for (let p = 0; p < V; p++) checkDistribution(logits.subarray(p * V, (p + 1) * V), `logits row ${p}`);

  return Object.freeze({
    architecture: /** @type {const} */ ('char-bigram'),
    vocab: Object.freeze(vocab),
    initial,
    logits,
    k,
    trainingTexts,
    trainingChars,
  });
}

/**
 * A metadata value that must be a number written the way String(number)
 * writes it.
 * @param {string | undefined} value @param {string} key
 */
function canonicalNumber(value, key) {
  const n = Number(value);
  if (value === undefined || String(n) !== value) throw malformed(`metadata ${key} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Each row must hold finite log-probabilities that sum (as probabilities) to 1.
 * @param {Float32Array} row @param {string} what
 */
function checkDistribution(row, what) {
  let max = -Infinity;
  for (const x of row) {
    if (!Number.isFinite(x)) throw malformed(`${what} holds a non-finite value`);
    if (x > max) max = x;
  }
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  const logSum = max + Math.log(sum);
  if (!(Math.abs(logSum) <= 1e-4)) throw malformed(`${what} is not a probability distribution (log-sum-exp ${logSum})`);
}

/**
 * mulberry32, a small 32-bit seeded PRNG: returns a function giving floats
 * in [0, 1), the same sequence for the same seed.
 * @param {number} seed an integer in [0, 2^32)
 * @returns {() => number}
 */
export function mulberry32(seed) {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Generate `maxTokens` characters continuing `prompt` (the continuation
 * only, without the prompt). Deterministic: the same model, options and
 * seed give the same text. Temperature 0 is greedy (argmax, lowest index on
 * ties) and uses no randomness. UNK is never generated.
 * @param {TinyLm} model
 * @param {GenerateOptions} [options]
 * @returns {string}
 */
export function generate(model, options = {}) {
  assertModel(model);
  const { prompt = '', maxTokens = 100, temperature = 1, seed = 0 } = options;
  if (typeof prompt !== 'string') throw new TypeError('prompt must be a string');
  if (!Number.isSafeInteger(maxTokens) || maxTokens < 0) throw new RangeError(`maxTokens must be a non-negative integer, got ${maxTokens}`);
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) {
    throw new RangeError(`temperature must be a finite number >= 0, got ${temperature}`);
  }
  const random = mulberry32(seed);
  const V = model.vocab.length;
  if (V < 2) return '';
  const index = indexOf(model.vocab);
  let prev = -1;
  for (const ch of prompt) prev = index.get(ch) ?? 0;
  const weights = new Float64Array(V);
  let out = '';
  for (let n = 0; n < maxTokens; n++) {
    const row = prev < 0 ? model.initial : model.logits.subarray(prev * V, (prev + 1) * V);
    let best = 1;
    for (let i = 2; i < V; i++) if (/** @type {number} */ (row[i]) > /** @type {number} */ (row[best])) best = i;
    let next = best;
    if (temperature > 0) {
      const max = /** @type {number} */ (row[best]);
      let total = 0;
      for (let i = 1; i < V; i++) {
        const w = Math.exp((/** @type {number} */ (row[i]) - max) / temperature);
        weights[i] = w;
        total += w;
      }
      let r = random() * total;
      for (let i = 1; i < V; i++) {
        r -= /** @type {number} */ (weights[i]);
        if (r < 0) {
          next = i;
          break;
        }
      }
    }
    out += model.vocab[next];
    prev = next;
  }
  return out;
}

/**
 * Perplexity of `text` under the model: exp of the mean negative
 * log-likelihood per character (code point), the first character scored by
 * the start distribution. A uniform model over V characters scores exactly V.
 * @param {TinyLm} model
 * @param {string} text a non-empty string
 * @returns {number}
 */
export function perplexity(model, text) {
  assertModel(model);
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  const V = model.vocab.length;
  const index = indexOf(model.vocab);
  let sum = 0;
  let n = 0;
  let prev = -1;
  for (const ch of text) {
    const id = index.get(ch) ?? 0;
    sum += /** @type {number} */ (prev < 0 ? model.initial[id] : model.logits[prev * V + id]);
    prev = id;
    n++;
  }
  if (n === 0) throw new RangeError('perplexity of an empty text is undefined');
  return Math.exp(-sum / n);
}
