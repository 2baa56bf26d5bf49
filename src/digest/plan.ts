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
function cost(job: Job, sizes: readonly number[]): number {
  if (job.length === 1) return sizes[job[0]!]!;
  let max = 0;
  for (const i of job) max = Math.max(max, sizes[i]!);
  return max / LANE_SPEED;
}

/** Longest job first, each to the thread free first: when does the last one finish? */
function makespan(costs: readonly number[], threads: number): number {
  const load = new Array<number>(threads).fill(0);
  for (const c of costs) {
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
    return jobs.map((job) => ({ job, c: cost(job, sizes) })).sort((a, b) => b.c - a.c).map((j) => j.job);
  };
  const most = lanes ? Math.floor(order.length / 4) : 0;
  // Every count of groups up to 64, then a sparser sweep: long lists of small files need not try each.
  const candidates = new Set<number>([0, most]);
  for (let g = 1; g <= Math.min(most, 64); g++) candidates.add(g);
  for (let g = 64; g < most; g = Math.ceil(g * 1.25)) candidates.add(g);
  let best = 0;
  let bestTime = Number.POSITIVE_INFINITY;
  for (const g of [...candidates].sort((a, b) => a - b)) {
    const jobs = withGroups(g);
    const time = makespan(
      jobs.map((j) => cost(j, sizes)),
      threads,
    );
    // A group must win clearly: the estimate is rough, and one stream per core is the safe default.
    if (time < bestTime * (g === 0 ? 1 : 0.97)) {
      best = g;
      bestTime = time;
    }
  }
  return withGroups(best);
}
