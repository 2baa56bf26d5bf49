/**
 * The hashing worker: one task is a file path and a byte range; the worker
 * reads into buffers it allocated once and answers with 32 bytes. Progress
 * and cancellation go through a small SharedArrayBuffer owned by the caller:
 * slot 0 counts bytes hashed, slot 1 is the cancel flag, slot 2 counts the
 * tasks handed out and not yet finished (so a worker knows when a core is
 * idle). The caller adds to slot 2 when it hands a task to the pool, not
 * the worker when it starts: threads that are still booting must not make
 * the first ones think a core is spare.
 */
import { LaneHasher } from './lanes.js';
import { RangeHasher, type RangeResult, type RangeTask } from './range.js';

/** The message one task carries into the worker. */
export interface WorkerTask extends RangeTask {
  /** BigInt64Array-backed counters: [bytesDone, cancelled, tasks handed out and not finished]. */
  control: SharedArrayBuffer;
  /** Size of each read buffer. */
  chunkSize: number;
  /**
   * Largest overlapped read. The whole buffer for a run of one range (a
   * single stream, for which 4 MiB reads measured fastest); 1 MiB when a
   * core only comes spare at the end of a run of several, so the threads
   * that finish a run alone do not each make 8 MiB of buffers resident.
   */
  overlapSize: number;
  /** Worker threads in the pool: fewer unfinished tasks than this means a core is idle. */
  threads: number;
}

let hasher: RangeHasher | undefined;
let hasherChunkSize = 0;

export default async function hashRangeTask(task: WorkerTask): Promise<RangeResult> {
  if (!hasher || hasherChunkSize !== task.chunkSize) {
    hasher = new RangeHasher(task.chunkSize);
    hasherChunkSize = task.chunkSize;
  }
  const control = new BigInt64Array(task.control);
  const threads = BigInt(task.threads);
  try {
    return await hasher.hash(
      task,
      (n) => {
        Atomics.add(control, 0, BigInt(n));
      },
      () => Atomics.load(control, 1) !== 0n,
      () => Atomics.load(control, 2) < threads,
      task.overlapSize,
    );
  } finally {
    Atomics.sub(control, 2, 1n);
  }
}

/** The message of a lane group: up to four ranges hashed together in the SIMD lanes. */
export interface WorkerGroup {
  tasks: RangeTask[];
  control: SharedArrayBuffer;
}

let laneHasher: LaneHasher | undefined;

/** Hash a group of ranges in the SIMD lanes (see `LaneHasher`); one result per range. */
export async function hashGroup(group: WorkerGroup): Promise<RangeResult[]> {
  laneHasher ??= new LaneHasher();
  const control = new BigInt64Array(group.control);
  try {
    return await laneHasher.hash(
      group.tasks,
      (n) => {
        Atomics.add(control, 0, BigInt(n));
      },
      () => Atomics.load(control, 1) !== 0n,
    );
  } finally {
    Atomics.sub(control, 2, 1n);
  }
}
