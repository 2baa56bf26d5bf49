import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Tinypool } from 'tinypool';
import { AbortError, InputError, throwIfAborted } from '../lib/errors.js';
import { DEFAULT_CHUNK_SIZE, RangeHasher, type RangeResult, type RangeTask } from './range.js';
import { sha256x4Supported } from '../lib/sha256x4.js';
import { jobCost, planJobs, splitSide, type Job } from './plan.js';
import type { WorkerGroup, WorkerTask } from './worker.js';

/** Bytes done out of bytes total, reported while hashing. */
export interface HashProgress {
  bytesDone: number;
  bytesTotal: number;
}

/** Options of a long hashing operation. */
export interface HashRunOptions {
  /** Stops the work promptly; the promise rejects with `ERR_ABORTED`. */
  signal?: AbortSignal;
  /** Called about every 100 ms, and once at the end. */
  onProgress?: (progress: HashProgress) => void;
}

/** Options of a {@link HashPool}. */
export interface HashPoolOptions {
  /** Worker threads; defaults to the number of cores. */
  threads?: number;
  /** Size of each of a worker's two read buffers (bytes). Default 4 MiB (see `DEFAULT_CHUNK_SIZE`). */
  chunkSize?: number;
  /**
   * Work below this many bytes in total is hashed on the calling thread,
   * which is faster than starting workers. Default 16 MiB; 0 always uses
   * workers.
   */
  inlineBelow?: number;
  /**
   * Hash groups of similar ranges together in the four lanes of the SIMD
   * SHA-256 when that is estimated to finish sooner (many files or shards
   * per thread). Default true; false keeps one OpenSSL stream per range.
   */
  lanes?: boolean;
  /**
   * When a few long ranges cannot be spread evenly over the threads (one
   * 4 GiB file in 1 GB shards on two threads, three equal files on two),
   * give each of them a thread of its own from the start (up to four per
   * core), so the cores are shared instead of one idling at the end. Default
   * true; false never runs more than `threads` threads.
   */
  sideThreads?: boolean;
  /**
   * When jobs get threads of their own (see `sideThreads`), hash the
   * smallest of them on the calling thread instead of starting one more
   * worker for it: that saves a worker's start-up (about 30 ms of CPU) and
   * its memory (about 9 MiB). The calling thread then hashes 1 MiB at a
   * time between turns of its event loop, each taking a few milliseconds.
   * Default true.
   */
  callerThread?: boolean;
  /** Location of the built worker (`hash-worker.js`); defaults to the one next to this module. */
  workerUrl?: URL | string;
}

/** Read size of hashing on the calling thread: each chunk holds the event loop for a few milliseconds. */
const CALLER_CHUNK = 1024 * 1024;

/** Largest overlapped read of the jobs that finish a run of several alone (see `WorkerTask.overlapSize`). */
const TAIL_OVERLAP_SIZE = 1024 * 1024;

const PROGRESS_INTERVAL_MS = 100;

/**
 * A pool of hashing worker threads. Tasks are byte ranges of files; they are
 * scheduled largest first, at most two per thread are handed to the pool at
 * once (the rest wait here, so memory stays flat), and each answers with a
 * 32-byte digest. When a few long tasks cannot be spread evenly over the
 * threads, each gets a thread of its own from the start, and they share
 * the cores (see `splitSide`).
 *
 * @example
 * ```ts
 * const pool = new HashPool();
 * try { const [d] = await pool.hashRanges([{ path, start: 0, end: size, size, mtimeMs }]); }
 * finally { await pool.destroy(); }
 * ```
 */
export class HashPool {
  readonly threads: number;
  readonly chunkSize: number;
  readonly inlineBelow: number;
  readonly lanes: boolean;
  readonly sideThreads: boolean;
  readonly callerThread: boolean;
  /** @internal Lane groups the last worker run used (for tests and benchmarks). */
  lastLaneGroups = 0;
  /** @internal Jobs the last worker run gave extra threads of their own (see `splitSide`), the calling thread's included. */
  lastSideJobs = 0;
  /** @internal Whether the last worker run hashed a job on the calling thread. */
  lastCallerJob = false;
  private readonly workerUrl: URL;
  private pool: Tinypool | undefined;
  private sidePool: Tinypool | undefined;
  /** Hashers for the calling thread, kept for reuse; one per run using one at a time (runs may overlap). */
  private readonly callerHashers: RangeHasher[] = [];

  /**
   * @param options thread count, buffer size, inline threshold, worker location
   * @throws RangeError for a non-positive thread count or chunk size
   */
  constructor(options: HashPoolOptions = {}) {
    this.threads = options.threads ?? Math.max(1, availableParallelism());
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.inlineBelow = options.inlineBelow ?? 16 * 1024 * 1024;
    this.lanes = options.lanes ?? true;
    this.sideThreads = options.sideThreads ?? true;
    this.callerThread = options.callerThread ?? true;
    if (!Number.isInteger(this.threads) || this.threads < 1) throw new RangeError(`"threads" expected a positive integer, got ${this.threads}`);
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < 4096) throw new RangeError(`"chunkSize" expected an integer >= 4096, got ${this.chunkSize}`);
    this.workerUrl = options.workerUrl ? new URL(String(options.workerUrl)) : new URL('./hash-worker.js', import.meta.url);
  }

  private checkWorkerBuilt(): void {
    const file = fileURLToPath(this.workerUrl);
    if (!existsSync(file)) {
      throw new InputError('ERR_NOT_FOUND', `hash worker not found at ${file}; build the package (npm run build)`);
    }
  }

  private getPool(): Tinypool {
    if (!this.pool) {
      this.checkWorkerBuilt();
      this.pool = new Tinypool({
        filename: this.workerUrl.href,
        minThreads: this.threads,
        maxThreads: this.threads,
        idleTimeout: 1000,
      });
    }
    return this.pool;
  }

  /** Extra threads for side jobs (see `splitSide`, at most three per core): started when first needed, gone after a second idle. */
  private getSidePool(): Tinypool {
    if (!this.sidePool) {
      this.checkWorkerBuilt();
      this.sidePool = new Tinypool({
        filename: this.workerUrl.href,
        minThreads: 0,
        maxThreads: 3 * this.threads,
        idleTimeout: 1000,
      });
    }
    return this.sidePool;
  }

  /**
   * Hash every task's range with SHA-256.
   *
   * @param tasks ranges of files, each with the size and mtime it was planned with
   * @param options AbortSignal and progress callback
   * @returns one 32-byte digest per task, in the order of `tasks`
   * @throws InputError `ERR_FILE_CHANGED`, `ERR_NOT_FOUND`, `ERR_UNREADABLE`; AbortError `ERR_ABORTED`
   */
  async hashRanges(tasks: readonly RangeTask[], options: HashRunOptions = {}): Promise<Uint8Array[]> {
    const { signal, onProgress } = options;
    throwIfAborted(signal);
    const bytesTotal = tasks.reduce((n, t) => n + (t.end - t.start), 0);
    const control = new SharedArrayBuffer(24);
    const counters = new BigInt64Array(control);
    const report = () => onProgress?.({ bytesDone: Number(Atomics.load(counters, 0)), bytesTotal });
    const onAbort = () => Atomics.store(counters, 1, 1n);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = onProgress ? setInterval(report, PROGRESS_INTERVAL_MS) : undefined;
    timer?.unref();
    try {
      const results =
        bytesTotal < this.inlineBelow
          ? await this.runInline(tasks, counters)
          : await this.runInWorkers(tasks, control, counters);
      throwIfAborted(signal);
      const digests: Uint8Array[] = [];
      for (const r of results) {
        if (!r.ok) {
          if (r.code === 'ERR_ABORTED') throw new AbortError(undefined, { cause: signal?.reason });
          throw new InputError(r.code, r.message);
        }
        digests.push(r.digest);
      }
      report();
      return digests;
    } finally {
      if (timer) clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Hash one range on the calling thread. Reads always overlap with hashing
   * (the default of `RangeHasher`), so every chunk awaits its read and the
   * event loop turns between chunks.
   */
  private async hashHere(task: RangeTask, counters: BigInt64Array): Promise<RangeResult> {
    const hasher = this.callerHashers.pop() ?? new RangeHasher(Math.min(this.chunkSize, CALLER_CHUNK));
    try {
      return await hasher.hash(
        task,
        (n) => Atomics.add(counters, 0, BigInt(n)),
        () => Atomics.load(counters, 1) !== 0n,
      );
    } finally {
      this.callerHashers.push(hasher);
    }
  }

  private async runInline(tasks: readonly RangeTask[], counters: BigInt64Array): Promise<RangeResult[]> {
    const results: RangeResult[] = [];
    for (const task of tasks) {
      const r = await this.hashHere(task, counters);
      results.push(r);
      if (!r.ok) break;
    }
    return results;
  }

  private async runInWorkers(
    tasks: readonly RangeTask[],
    control: SharedArrayBuffer,
    counters: BigInt64Array,
  ): Promise<RangeResult[]> {
    const pool = this.getPool();
    // Largest first, so one big file does not start last and run alone; similar ranges in SIMD lane groups where that finishes sooner.
    const sizes = tasks.map((t) => len(t));
    const jobs = planJobs(sizes, this.threads, this.lanes && sha256x4Supported());
    this.lastLaneGroups = jobs.filter((job) => job.length > 1).length;
    // A few long jobs that cannot be spread evenly: each gets a thread of its own, sharing the cores from the start.
    const { main, side } = this.sideThreads
      ? splitSide(
          jobs.map((job) => jobCost(job, sizes)),
          this.threads,
        )
      : { main: jobs.map((_, i) => i), side: [] };
    this.lastSideJobs = side.length;
    // The smallest side job on this thread, instead of a worker of its own.
    const here = this.callerThread && side.length > 0 && jobs[side.at(-1)!]!.length === 1 ? side.pop() : undefined;
    this.lastCallerJob = here !== undefined;
    const sidePool = side.length > 0 ? this.getSidePool() : undefined;
    const results = new Array<RangeResult | undefined>(tasks.length).fill(undefined);
    // One stream alone overlaps its reads with the whole buffer; the last jobs of a longer run with 1 MiB reads (see WorkerTask).
    const overlapSize = jobs.length === 1 ? this.chunkSize : Math.min(this.chunkSize, TAIL_OVERLAP_SIZE);
    const maxInFlight = this.threads * 2;
    const stop = () => Atomics.store(counters, 1, 1n);
    const stopped = () => Atomics.load(counters, 1) !== 0n;
    const plain = (task: RangeTask): RangeTask => ({ path: task.path, start: task.start, end: task.end, size: task.size, mtimeMs: task.mtimeMs });
    const run = (target: Tinypool | 'here', job: Job): Promise<RangeResult[]> =>
      target === 'here'
        ? this.hashHere(tasks[job[0]!]!, counters)
            .then((r) => [r])
            .finally(() => Atomics.sub(counters, 2, 1n))
        : job.length === 1
        ? (target.run({ ...plain(tasks[job[0]!]!), control, chunkSize: this.chunkSize, overlapSize, threads: this.threads } satisfies WorkerTask) as Promise<RangeResult>).then((r) => [r])
        : (target.run({ tasks: job.map((i) => plain(tasks[i]!)), control } satisfies WorkerGroup, { name: 'hashGroup' }) as Promise<RangeResult[]>);
    let next = 0;
    let crash: unknown;
    await new Promise<void>((resolve) => {
      let inFlight = 0;
      const start = (target: Tinypool | 'here', job: Job) => {
        inFlight++;
        // Counted as unfinished from now on (the worker takes it off when done), so threads still booting count as busy.
        Atomics.add(counters, 2, 1n);
        run(target, job).then(
          (rs) => {
            rs.forEach((r, k) => {
              results[job[k]!] = r;
              // On a failure, ask the running tasks to stop early: their results are not needed.
              if (!r.ok) stop();
            });
            settle();
          },
          (err: unknown) => {
            crash ??= err;
            stop();
            settle();
          },
        );
      };
      const pump = () => {
        while (inFlight < maxInFlight + side.length + (here === undefined ? 0 : 1) && next < main.length && !stopped()) start(pool, jobs[main[next++]!]!);
        if (inFlight === 0) resolve();
      };
      const settle = () => {
        inFlight--;
        pump();
      };
      for (const i of side) start(sidePool!, jobs[i]!);
      if (here !== undefined) start('here', jobs[here]!);
      pump();
    });
    if (crash !== undefined) throw crash;
    // Report the first real failure, not the "aborted" answers of tasks that were told to stop.
    const failure = results.find((r) => r && !r.ok && r.code !== 'ERR_ABORTED') ?? results.find((r) => r && !r.ok);
    if (failure) return [failure];
    if (results.some((r) => r === undefined)) return [{ ok: false, code: 'ERR_ABORTED', message: 'hashing was aborted' }];
    return results as RangeResult[];
  }

  /** Stop the worker threads. The pool can be used again afterwards. */
  async destroy(): Promise<void> {
    const pools = [this.pool, this.sidePool];
    this.pool = undefined;
    this.sidePool = undefined;
    await Promise.all(pools.map((pool) => pool?.destroy()));
  }
}

function len(t: RangeTask): number {
  return t.end - t.start;
}

