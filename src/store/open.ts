import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError, fsError } from '../lib/errors.js';
import { CarStore } from './car-store.js';
import { DEFAULT_STORE_DIR, DirectoryStore } from './directory.js';
import type { StoreLimits } from './types.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Envelope, signature-count and CAR index limits. */
  limits?: StoreLimits;
}

/**
 * Open the record store at `path` the way `--store` does: a path ending in
 * `.car` (any case) is a CAR file opened read-only ({@link CarStore}); any
 * other path is a {@link DirectoryStore}, which need not exist yet (it is
 * created by the first `put`). Without a path, `./.provenant`.
 *
 * @param path the store's directory or `.car` file
 * @param options limits
 * @returns the store; test `store.writable` before writing
 * @throws InputError `ERR_NOT_A_DIRECTORY` when a non-`.car` path is an existing file
 * @throws InputError from {@link CarStore.open} for a `.car` path
 * @example
 * ```ts
 * const store = await openStore(flags.store);
 * if (!store.writable) throw new Error('cannot write to a CAR file');
 * await store.put(envelope);
 * ```
 */
export async function openStore(path?: string, options: OpenStoreOptions = {}): Promise<DirectoryStore | CarStore> {
  if (path !== undefined && (typeof path !== 'string' || path === '')) throw new TypeError('"path" expected a non-empty string');
  const target = path ?? DEFAULT_STORE_DIR;
  if (extname(target).toLowerCase() === '.car') return CarStore.open(target, options);
  let info;
  try {
    info = await stat(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(err, target, 'open the store');
  }
  if (info && !info.isDirectory()) {
    throw new InputError('ERR_NOT_A_DIRECTORY', `${target}: not a directory (a store is a directory, or a file whose name ends in .car)`);
  }
  return new DirectoryStore(target, options.limits ? { limits: options.limits } : {});
}
