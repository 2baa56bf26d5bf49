import { fstatSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DATA_START, Sha256x4 } from '../lib/sha256x4.js';
import type { RangeResult, RangeTask } from './range.js';

/** Bytes each lane reads per step: a multiple of 64, small enough that four stay in L2 while they are hashed. */
export const LANE_CHUNK = 256 * 1024;

interface Lane {
  task: RangeTask;
  fh: FileHandle | undefined;
  pos: number;
  result: RangeResult | undefined;
  /** Where this lane's chunk sits in memory, how many blocks of it are left, and whether it is the last. */
  base: number;
  ptr: number;
  left: number;
  last: boolean;
}

function changed(task: RangeTask): RangeResult {
  return { ok: false, code: 'ERR_FILE_CHANGED', message: `${task.path}: the file changed while it was being hashed (size or mtime differ)` };
}

/**
 * Hashes up to four byte ranges at once, one per lane of the SIMD SHA-256
 * (`lib/sha256x4`): each step reads the next chunk of every unfinished range
 * into its lane's part of memory and runs all lanes over them together. A
 * thread doing this does about 1.5 times the bytes of one OpenSSL stream,
 * so the pool gives it groups of similar ranges when there are enough to
 * keep every core's lanes full (see `planJobs`). Each range is checked for
 * size and mtime before and after, as `RangeHasher` does.
 */
export class LaneHasher {
  readonly #engine = new Sha256x4();
  readonly #chunk: number;

  constructor(chunk = LANE_CHUNK) {
    if (chunk % 64 !== 0 || chunk < 64) throw new RangeError(`the lane chunk must be a positive multiple of 64, got ${chunk}`);
    this.#chunk = chunk;
    // Each lane's chunk plus room for its padding.
    this.#engine.reserve(DATA_START + 4 * (chunk + 128));
  }

  /**
   * Hash the ranges of `tasks` (one to four).
   *
   * @returns one result per task, in order; never throws for file problems
   */
  async hash(tasks: readonly RangeTask[], onBytes?: (n: number) => void, isCancelled?: () => boolean): Promise<RangeResult[]> {
    if (tasks.length < 1 || tasks.length > 4) throw new RangeError(`a lane group holds 1 to 4 ranges, got ${tasks.length}`);
    const engine = this.#engine;
    const chunk = this.#chunk;
    const lanes: Lane[] = tasks.map((task, l) => ({ task, fh: undefined, pos: task.start, result: undefined, base: DATA_START + l * (chunk + 128), ptr: 0, left: 0, last: false }));
    try {
      for (const lane of lanes) {
        try {
          lane.fh = await open(lane.task.path, 'r');
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'ERR_NOT_FOUND' : 'ERR_UNREADABLE';
          lane.result = { ok: false, code, message: `${lane.task.path}: cannot open: ${(err as Error).message}` };
          continue;
        }
        const st = fstatSync(lane.fh.fd);
        if (st.size !== lane.task.size || st.mtimeMs !== lane.task.mtimeMs) lane.result = changed(lane.task);
      }
      lanes.forEach((lane, l) => {
        if (lane.result === undefined) engine.reset(l);
      });
      for (;;) {
        // Read the next chunk of every lane still going; the last chunk of a range is padded.
        let busy = 0;
        let read = 0;
        for (const lane of lanes) {
          lane.left = 0;
          if (lane.result !== undefined) continue;
          const want = Math.min(chunk, lane.task.end - lane.pos);
          let n: number;
          try {
            n = want === 0 ? 0 : readSync(lane.fh!.fd, engine.bytes, lane.base, want, lane.pos);
          } catch (err) {
            lane.result = { ok: false, code: 'ERR_UNREADABLE', message: `${lane.task.path}: cannot read: ${(err as Error).message}` };
            continue;
          }
          // A short read means the file shrank under us.
          if (n !== want) {
            lane.result = changed(lane.task);
            continue;
          }
          lane.pos += n;
          read += n;
          lane.last = lane.pos === lane.task.end;
          lane.left = lane.last ? engine.pad(lane.base, n, lane.task.end - lane.task.start) : n / 64;
          lane.ptr = lane.base;
          busy++;
        }
        if (busy === 0) break;
        runLanes(engine, lanes);
        for (let l = 0; l < lanes.length; l++) {
          const lane = lanes[l]!;
          if (lane.result !== undefined || !lane.last) continue;
          const st = fstatSync(lane.fh!.fd);
          if (st.size !== lane.task.size || st.mtimeMs !== lane.task.mtimeMs) {
            lane.result = changed(lane.task);
            continue;
          }
          engine.digestTo(l, DATA_START - 32);
          // A copy: Buffer#slice would be a view of memory the next digest overwrites.
          lane.result = { ok: true, digest: Uint8Array.prototype.slice.call(engine.bytes, DATA_START - 32, DATA_START) };
        }
        onBytes?.(read);
        if (isCancelled?.()) {
          for (const lane of lanes) lane.result ??= { ok: false, code: 'ERR_ABORTED', message: 'hashing was aborted' };
          break;
        }
      }
      return lanes.map((lane) => lane.result!);
    } finally {
      await Promise.all(lanes.map((lane) => lane.fh?.close().catch(() => undefined)));
    }
  }
}

/**
 * Run every lane's blocks. A lane with fewer blocks than the others finishes
 * first; it then runs over a busy lane's data (every step runs four lanes),
 * so its state is saved the moment it finishes and put back at the end.
 */
function runLanes(engine: Sha256x4, lanes: readonly Lane[]): void {
  const saved: (Uint32Array | undefined)[] = [];
  for (;;) {
    let n = 0x7fffffff;
    let any = -1;
    for (const lane of lanes) {
      if (lane.left > 0) {
        if (lane.left < n) n = lane.left;
        any = lane.ptr;
      }
    }
    if (any === -1) break;
    const p = [any, any, any, any];
    lanes.forEach((lane, l) => {
      if (lane.left > 0) p[l] = lane.ptr;
    });
    engine.compress(p[0]!, p[1]!, p[2]!, p[3]!, n);
    lanes.forEach((lane, l) => {
      if (lane.left === 0) return;
      lane.ptr += 64 * n;
      lane.left -= n;
      if (lane.left === 0) {
        const state = new Uint32Array(8);
        engine.saveLane(l, state);
        saved[l] = state;
      }
    });
  }
  saved.forEach((state, l) => {
    if (state !== undefined) engine.restoreLane(l, state);
  });
}

