import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fsError, InputError } from '../lib/errors.js';
import { HashPool, type HashRunOptions } from './pool.js';

/** Options of {@link hashFile}. */
export interface HashFileOptions extends HashRunOptions {
  /** A pool to run on; by default one is made for this call and stopped after. */
  pool?: HashPool;
}

/**
 * Streaming SHA-256 of one file (a worker thread for large files), failing
 * if the file changes while it is read.
 *
 * @param path the file
 * @param options pool, progress, signal
 * @returns the 32-byte digest
 * @throws InputError `ERR_NOT_FOUND`, `ERR_NOT_A_FILE`, `ERR_FILE_CHANGED`, `ERR_UNREADABLE`; AbortError
 * @example
 * ```ts
 * const digest = await hashFile('weights.safetensors');
 * ```
 */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<Uint8Array> {
  const abs = resolve(path);
  let st;
  try {
    st = await stat(abs);
  } catch (err) {
    throw fsError(err, path, 'read');
  }
  if (!st.isFile()) throw new InputError('ERR_NOT_A_FILE', `${path}: not a regular file`);
  const pool = options.pool ?? new HashPool();
  try {
    const [digest] = await pool.hashRanges([{ path: abs, start: 0, end: st.size, size: st.size, mtimeMs: st.mtimeMs }], options);
    return digest!;
  } finally {
    if (!options.pool) await pool.destroy();
  }
}
