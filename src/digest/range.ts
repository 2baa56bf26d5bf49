import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Default size of each of the two read buffers a hasher reuses. Overlapped
 * reads (one stream, a core to spare) use the whole buffer; synchronous reads
 * (every core hashing) use {@link SYNC_READ_SIZE}. Both sizes were the
 * fastest measured by bench/ on a 2-core machine with 1 MiB of L2 per core.
 */
export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;

/** Read size when reads are not overlapped: small enough to stay in L2 while it is hashed. */
export const SYNC_READ_SIZE = 1024 * 1024;

/**
 * One unit of hashing work: a byte range of one file, plus the size and
 * mtime the file had when the work was planned, so a file that changes while
 * it is hashed is detected instead of producing a wrong digest.
 */
export interface RangeTask {
  /** Absolute path of the file. */
  path: string;
  /** First byte, inclusive. */
  start: number;
  /** Last byte, exclusive. */
  end: number;
  /** File size when planned. */
  size: number;
  /** File mtime (ms) when planned. */
  mtimeMs: number;
}

/** What hashing a range answers: the digest, or a stable error code. */
export type RangeResult =
  | { ok: true; digest: Uint8Array }
  | { ok: false; code: 'ERR_FILE_CHANGED' | 'ERR_UNREADABLE' | 'ERR_NOT_FOUND' | 'ERR_ABORTED'; message: string };

/**
 * Two reusable buffers per hasher: while one is hashed on this thread, the
 * next read fills the other on the libuv thread pool, so reading and hashing
 * overlap. Allocated once and kept for the life of the thread.
 */
export class RangeHasher {
  private readonly buffers: [Buffer, Buffer];

  constructor(chunkSize = DEFAULT_CHUNK_SIZE) {
    this.buffers = [Buffer.allocUnsafeSlow(chunkSize), Buffer.allocUnsafeSlow(chunkSize)];
  }

  /**
   * Hash `task`'s range with SHA-256.
   *
   * @param task the file range and its expected size and mtime
   * @param onBytes called with each chunk's length after it is hashed
   * @param isCancelled polled between chunks; when true the hash stops
   * @param overlap read the next chunk on the libuv pool while hashing this
   *   one (default). Worth it only when a core would otherwise idle: with
   *   every core hashing, plain synchronous reads into one buffer cost less.
   * @returns the digest, or a coded failure; never throws for file problems
   */
  async hash(
    task: RangeTask,
    onBytes?: (n: number) => void,
    isCancelled?: () => boolean,
    overlap = true,
  ): Promise<RangeResult> {
    let fh: FileHandle;
    try {
      fh = await open(task.path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'ERR_NOT_FOUND' : 'ERR_UNREADABLE';
      return { ok: false, code, message: `${task.path}: cannot open: ${(err as Error).message}` };
    }
    try {
      const before = await fh.stat();
      if (before.size !== task.size || before.mtimeMs !== task.mtimeMs) {
        return changed(task);
      }
      const hash = createHash('sha256');
      const size = this.buffers[0].length;
      let pos = task.start;
      let which = 0;
      if (!overlap) {
        const buf = this.buffers[0].subarray(0, Math.min(size, SYNC_READ_SIZE));
        while (pos < task.end) {
          const wanted = Math.min(buf.length, task.end - pos);
          const n = readSync(fh.fd, buf, 0, wanted, pos);
          if (n !== wanted) return changed(task);
          hash.update(n === buf.length ? buf : buf.subarray(0, n));
          pos += n;
          onBytes?.(n);
          if (isCancelled?.()) return { ok: false, code: 'ERR_ABORTED', message: 'hashing was aborted' };
        }
      }
      let pending = pos < task.end ? fh.read(this.buffers[which]!, 0, Math.min(size, task.end - pos), pos) : null;
      while (pending) {
        const { bytesRead } = await pending;
        const wanted = Math.min(size, task.end - pos);
        if (bytesRead !== wanted) return changed(task);
        const current = this.buffers[which]!;
        pos += bytesRead;
        which ^= 1;
        // Start the next read before hashing this chunk: the read runs on the
        // libuv pool while this thread hashes.
        pending = pos < task.end ? fh.read(this.buffers[which]!, 0, Math.min(size, task.end - pos), pos) : null;
        hash.update(bytesRead === current.length ? current : current.subarray(0, bytesRead));
        onBytes?.(bytesRead);
        if (isCancelled?.()) {
          if (pending) await pending.catch(() => undefined);
          return { ok: false, code: 'ERR_ABORTED', message: 'hashing was aborted' };
        }
      }
      const after = await fh.stat();
      if (after.size !== task.size || after.mtimeMs !== task.mtimeMs) return changed(task);
      const out = hash.digest();
      return { ok: true, digest: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) };
    } catch (err) {
      return { ok: false, code: 'ERR_UNREADABLE', message: `${task.path}: cannot read: ${(err as Error).message}` };
    } finally {
      await fh.close().catch(() => undefined);
    }
  }
}

function changed(task: RangeTask): RangeResult {
  return {
    ok: false,
    code: 'ERR_FILE_CHANGED',
    message: `${task.path}: the file changed while it was being hashed (size or mtime differ)`,
  };
}
