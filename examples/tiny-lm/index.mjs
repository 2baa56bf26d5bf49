// @ts-check
// tiny-lm: a tiny character-level language model (char bigram, add-k
// smoothing) written by us, trained on the text datasets in ./corpus/, with
// its weights saved as safetensors. Plain JavaScript (types in index.d.mts)
// so that `node examples/…` can import it without a build step.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { decodeSafetensors, encodeSafetensors, tensorValues, DTYPE_NAMES, MAX_HEADER_BYTES } from './safetensors.mjs';
export { DEFAULT_K, FORMAT, FORMAT_VERSION, UNK, generate, load, mulberry32, perplexity, save, train } from './model.mjs';

/** Absolute path of the bundled corpus directory (one sub-directory per dataset). */
export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

/** The bundled datasets: two good ones and one junk one a vote can reject. */
export const DATASETS = Object.freeze(/** @type {const} */ (['poems', 'recipes', 'spam']));

/**
 * The texts of a dataset directory: every `*.txt` file directly in `dir`,
 * in sorted file-name order, read as UTF-8, one text per file.
 * @param {string} dir a dataset directory, e.g. join(CORPUS_DIR, 'poems')
 * @returns {Promise<string[]>}
 */
export async function readCorpus(dir) {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.txt'))
    .map((entry) => entry.name)
    .sort();
  return Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
}
