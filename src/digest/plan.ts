/**
 * How a hashing run is split into jobs for the worker threads. A job is one
 * range hashed by OpenSSL (one stream: the fastest way to hash a single
 * range) or a group of up to four ranges hashed together in the lanes of the
 * SIMD SHA-256 (more bytes per core, but each range moves at a fraction of
 * one stream's speed). Groups pay off when there are enough similar ranges
 * to keep every thread's lanes busy; the plan is chosen by estimating, for
 * each number of groups, when the last thread would finish.
 */

/**
 * Speed of one SIMD lane relative to one OpenSSL stream on the same core,
 * with all four lanes busy: a thread hashing four files from page cache did
 * 1.2 to 1.4 times the bytes of one OpenSSL stream (reads included) on a CPU
 * without SHA extensions, so each lane about a third of a stream.
 */
export const LANE_SPEED = 1 / 3;

/** One unit of work for a thread: indexes into the task list; more than one means a lane group. */
export type Job = readonly number[];

/** Estimated time of a job, in bytes of one OpenSSL stream. */
export function jobCost(job: Job, sizes: readonly number[]): number {
  if (job.length === 1) return sizes[job[0]!]!;
  let max = 0;
  for (const i of job) max = Math.max(max, sizes[i]!);
  return max / LANE_SPEED;
}

/**
 * Longest job first, each to the thread free first: when does the last one
 * finish? (What {@link sharedMakespan} gives without side jobs, in one pass:
 * the planner asks this for every candidate plan of lists of any length.)
 */
function makespan(costs: ArrayLike<number>, threads: number): number {
  const load = new Array<number>(threads).fill(0);
  for (let k = 0; k < costs.length; k++) {
    const c = costs[k]!;
    let t = 0;
    for (let j = 1; j < threads; j++) if (load[j]! < load[t]!) t = j;
    load[t]! += c;
  }
  return Math.max(...load);
}

/**
 * Split tasks of the given sizes into jobs, longest first.
 *
 * @param sizes bytes of each task
 * @param threads worker threads
 * @param lanes whether SIMD lane groups may be used
 * @returns the jobs, in the order to start them
 */
export function planJobs(sizes: readonly number[], threads: number, lanes: boolean): Job[] {
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  const withGroups = (groups: number): Job[] => {
    const jobs: Job[] = [];
    for (let g = 0; g < groups; g++) jobs.push(order.slice(4 * g, 4 * g + 4));
    for (let i = 4 * groups; i < order.length; i++) jobs.push([order[i]!]);
    return jobs.map((job) => ({ job, c: jobCost(job, sizes) })).sort((a, b) => b.c - a.c).map((j) => j.job);
  };
  const most = lanes ? Math.floor(order.length / 4) : 0;
  // Every count of groups up to 64, then a sparser sweep: long lists of small files need not try each.
  const candidates = new Set<number>([0, most]);
  for (let g = 1; g <= Math.min(most, 64); g++) candidates.add(g);
  for (let g = 64; g < most; g = Math.ceil(g * 1.25)) candidates.add(g);
  let best = 0;
  let bestTime = Number.POSITIVE_INFINITY;
  // The costs of a plan, longest first, without building it: groups (each as long as its first,
  // largest range) and single ranges are each in order already, so a merge sorts them.
  const costs = new Float64Array(order.length);
  const costsFor = (groups: number): Float64Array => {
    const n = groups + (order.length - 4 * groups);
    let g = 0;
    let single = 4 * groups;
    for (let k = 0; k < n; k++) {
      const group = g < groups ? sizes[order[4 * g]!]! / LANE_SPEED : -1;
      const one = single < order.length ? sizes[order[single]!]! : -1;
      if (group >= one) {
        costs[k] = group;
        g++;
      } else {
        costs[k] = one;
        single++;
      }
    }
    return costs.subarray(0, n);
  };
  for (const g of [...candidates].sort((a, b) => a - b)) {
    const time = makespan(costsFor(g), threads);
    // A group must win clearly: the estimate is rough, and one stream per core is the safe default.
    if (time < bestTime * (g === 0 ? 1 : 0.97)) {
      best = g;
      bestTime = time;
    }
  }
  return withGroups(best);
}

/**
 * How long jobs take when every running job gets an equal share of the
 * cores (what the kernel's scheduler gives threads that all want a core):
 * `cores` main slots take jobs from `queue` in order, one after another,
 * and each side job runs on its own extra thread from the start.
 *
 * @param queue estimated costs of the main jobs, in the order they start
 * @param side estimated costs of the side jobs
 * @param cores cores (and main slots)
 * @returns when the last job finishes
 */
export function sharedMakespan(queue: readonly number[], side: readonly number[], cores: number): number {
  const running: number[] = [...side];
  let next = 0;
  let mainRunning = 0;
  const refill = () => {
    while (mainRunning < cores && next < queue.length) {
      running.push(queue[next++]!);
      mainRunning++;
    }
  };
  // Main jobs are pushed after the side jobs: index >= sideLeft means a main job.
  let sideLeft = side.length;
  refill();
  let time = 0;
  while (running.length > 0) {
    const rate = Math.min(1, cores / running.length);
    let least = Number.POSITIVE_INFINITY;
    for (const r of running) least = Math.min(least, r);
    time += least / rate;
    for (let i = running.length - 1; i >= 0; i--) {
      running[i]! -= least;
      if (running[i]! <= 1e-9 * Math.max(1, least)) {
        running.splice(i, 1);
        if (i < sideLeft) sideLeft--;
        else mainRunning--;
      }
    }
    refill();
  }
  return time;
}

/**
 * A split of the jobs between the pool's threads and extra "side" threads
 * that run alongside them from the start.
 */
export interface SideSplit {
  /** Indexes (into the jobs) of those run by the main threads, longest first. */
  main: number[];
  /** Indexes of those each given an extra thread of its own at the start. */
  side: number[];
}

/**
 * What starting one more worker thread costs, in bytes of one stream: a
 * Node worker takes about 30 ms of CPU to boot, in which one stream hashes
 * about 12 MiB.
 */
export const THREAD_START_COST = 12 * 1024 * 1024;

/**
 * When a few long jobs cannot be spread evenly over the cores (one 4 GiB
 * file in 1 GB shards on two cores is 2.295 GB on one thread and 2.0 on the
 * other; three equal files on two cores leave one core idle for a third of
 * the time), give every job beyond the first `cores` a thread of its own
 * from the start, so all of them share the cores and none runs last, alone:
 * one 4 GiB file finishes in 2.15 GB-times instead of 2.295, three equal
 * files in 1.5 file-times instead of 2.
 *
 * Every job, not only the smallest: the kernel shares each core between
 * the threads queued on it, and does not move threads to even out a 2:1
 * split, so three threads on two cores do not share them equally. Hashing
 * 2.15 GB in 0.5 GB shards on this 2-core machine, two threads plus one side
 * thread left the cores idle 3 to 17% of the time; one thread per shard,
 * 0.5 to 3.5%. More threads than cores also keep the run even when one core
 * is slower than the other (a shared host), which no fixed split can.
 *
 * A split is used only when it is estimated, thread start-ups included, to
 * win by a clear margin, and only for up to four jobs per core: with more,
 * the longest-first order balances already.
 *
 * @param costs each job's estimated time (one stream's bytes), longest first
 * @param cores worker threads of the main pool (one per core)
 * @returns the split; no side jobs when sharing would not help
 */
export function splitSide(costs: readonly number[], cores: number): SideSplit {
  const all = costs.map((_, i) => i);
  const none: SideSplit = { main: all, side: [] };
  if (costs.length <= cores || costs.length > 4 * cores) return none;
  const main = all.slice(0, cores);
  const side = all.slice(cores);
  const shared =
    sharedMakespan(
      main.map((i) => costs[i]!),
      side.map((i) => costs[i]!),
      cores,
    ) +
    (side.length * THREAD_START_COST) / cores;
  return shared < sharedMakespan(costs, [], cores) * 0.97 ? { main, side } : none;
}
