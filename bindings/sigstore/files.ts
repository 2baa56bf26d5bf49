import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from 'provenant';

/**
 * Read a whole file for the binding, with the same stable codes the core
 * gives (`ERR_NOT_FOUND`, `ERR_NOT_A_FILE`, `ERR_UNREADABLE`).
 */
export async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') throw new InputError('ERR_NOT_FOUND', `${path}: no such file or directory (${what})`, { cause: err });
    if (code === 'EISDIR') throw new InputError('ERR_NOT_A_FILE', `${path}: is a directory, expected the ${what}`, { cause: err });
    throw new InputError('ERR_UNREADABLE', `${path}: cannot read the ${what}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Write a file atomically: a temporary file in the same directory, flushed,
 * then renamed over the target, so a reader never sees half a signature.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new InputError('ERR_WRITE_FAILED', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}
