import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from './errors.js';

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
