import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsError, InputError } from './errors.js';

/**
 * Write `data` to `path` atomically: a temporary file in the same directory
 * is written, flushed, and renamed over `path`, so readers see either the old
 * file or the whole new one, never a part.
 *
 * @throws InputError `ERR_WRITE_FAILED`
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fh;
  try {
    fh = await open(tmp, 'wx', mode);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw new InputError('ERR_WRITE_FAILED', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Read a whole regular file. Anything else (a directory, a FIFO, a device)
 * is refused without blocking: a FIFO with no writer would hang a plain
 * `readFile`, and `/dev/zero` would never end.
 *
 * @param path the file
 * @param action what is being done, for messages (e.g. "read the signature")
 * @param maxBytes refuse a larger file before reading any of it (default: no limit)
 * @returns the bytes
 * @throws InputError `ERR_NOT_FOUND`, `ERR_NOT_A_FILE`, `ERR_UNREADABLE`, `ERR_LIMIT_EXCEEDED`
 */
export async function readRegularFile(path: string, action: string, maxBytes?: number): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw fsError(err, path, action);
  }
  try {
    const info = await fh.stat();
    if (!info.isFile()) throw new InputError('ERR_NOT_A_FILE', `${path}: not a regular file`);
    if (maxBytes !== undefined && info.size > maxBytes) {
      throw new InputError('ERR_LIMIT_EXCEEDED', `${path} is ${info.size} bytes, above the limit of ${maxBytes}`);
    }
    return await fh.readFile();
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw fsError(err, path, action);
  } finally {
    await fh.close().catch(() => undefined);
  }
}
