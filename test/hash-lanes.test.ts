/**
 * Hashing several ranges at once in the SIMD lanes: the plan that decides
 * when lane groups pay off, the lane hasher against node:crypto (every
 * boundary of its chunks and of SHA-256 padding), its failures, and the pool
 * with lanes on and off against sha256sum.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaneHasher } from '../src/digest/lanes.js';
import { hashModel } from '../src/digest/model.js';
import { LANE_SPEED, planJobs, sharedMakespan, splitSide, THREAD_START_COST } from '../src/digest/plan.js';
import type { RangeTask } from '../src/digest/range.js';
import { toHex } from '../src/lib/bytes.js';
import { cleanupTemp, HAVE_DIST, makeTemp, workerPool } from './helpers.js';

afterAll(cleanupTemp);

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const GB = 1_000_000_000;

describe('planJobs: lane groups only where they finish sooner', () => {
  it('groups 8 equal files on 2 threads into two groups of four', () => {
    expect(planJobs(Array(8).fill(512 * 2 ** 20), 2, true)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  it('keeps one stream per shard for one 4 GiB file in 1 GB shards (five shards, two threads)', () => {
    const sizes = [GB, GB, GB, GB, 4 * 2 ** 30 - 4 * GB];
    expect(planJobs(sizes, 2, true)).toEqual([[0], [1], [2], [3], [4]]);
  });

  it('never groups without lanes, or a single range', () => {
    expect(planJobs(Array(12).fill(100), 2, false).every((job) => job.length === 1)).toBe(true);
    expect(planJobs([5], 2, true)).toEqual([[0]]);
  });

  it('groups many small files, and the groups hold similar sizes', () => {
    const sizes = Array.from({ length: 100 }, (_, i) => 1000 + i);
    const jobs = planJobs(sizes, 2, true);
    expect(jobs.filter((j) => j.length === 4).length).toBeGreaterThanOrEqual(20);
    for (const job of jobs.filter((j) => j.length > 1)) {
      const s = job.map((i) => sizes[i]!);
      expect(Math.min(...s) / Math.max(...s)).toBeGreaterThan(0.9);
    }
  });

  it('property: every task is in exactly one job, jobs hold 1 or 4 tasks, longest estimated first', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 300 }), fc.integer({ min: 1, max: 16 }), fc.boolean(), (sizes, threads, lanes) => {
        const jobs = planJobs(sizes, threads, lanes);
        expect(jobs.flat().sort((a, b) => a - b)).toEqual(sizes.map((_, i) => i));
        for (const job of jobs) expect([1, 4]).toContain(job.length);
        const cost = (job: readonly number[]) => (job.length === 1 ? sizes[job[0]!]! : Math.max(...job.map((i) => sizes[i]!)) / LANE_SPEED);
        for (let i = 1; i < jobs.length; i++) expect(cost(jobs[i - 1]!)).toBeGreaterThanOrEqual(cost(jobs[i]!));
      }),
      { numRuns: 200 },
    );
  });
});

describe('splitSide: threads of their own for few long jobs', () => {
  it('estimates shared cores: equal shares while more jobs than cores run', () => {
    expect(sharedMakespan([1, 1], [], 2)).toBe(1);
    expect(sharedMakespan([1, 1, 1], [], 2)).toBe(2);
    expect(sharedMakespan([1, 1], [1], 2)).toBeCloseTo(1.5);
    expect(sharedMakespan([], [], 2)).toBe(0);
  });

  it('one 4 GiB file in 1 GB shards on two cores: every shard gets a thread (2.295 -> 2.15 GB-times, thread starts included)', () => {
    const sizes = [GB, GB, GB, GB, 4 * 2 ** 30 - 4 * GB];
    expect(splitSide(sizes, 2)).toEqual({ main: [0, 1], side: [2, 3, 4] });
    expect(sharedMakespan(sizes, [], 2) / GB).toBeCloseTo(2.295, 3);
    expect(sharedMakespan(sizes.slice(0, 2), sizes.slice(2), 2) / GB).toBeCloseTo(2.147, 3);
  });

  it('three equal files on two cores share them (2 -> 1.5); balanced, dominated, short or many jobs are left alone', () => {
    expect(splitSide([GB, GB, GB], 2)).toEqual({ main: [0, 1], side: [2] });
    expect(splitSide([GB, GB], 2).side).toEqual([]);
    expect(splitSide([GB, GB, GB, GB], 2).side).toEqual([]);
    expect(splitSide([10 * GB, GB, GB, GB], 2).side).toEqual([]);
    expect(splitSide([5 * GB], 2).side).toEqual([]);
    expect(splitSide(Array(100).fill(GB), 2).side).toEqual([]);
    // Three 10 MB files: starting a thread costs more than the sharing saves.
    expect(splitSide([10e6, 10e6, 10e6], 2).side).toEqual([]);
    expect(THREAD_START_COST).toBeGreaterThan(0);
  });

  it('property: every job once, all but the first `cores` on side threads or none, never estimated slower with thread starts', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { maxLength: 40 }), fc.integer({ min: 1, max: 16 }), (unsorted, cores) => {
        const costs = [...unsorted].sort((a, b) => b - a);
        const { main, side } = splitSide(costs, cores);
        expect([...main, ...side].sort((a, b) => a - b)).toEqual(costs.map((_, i) => i));
        if (side.length === 0) return;
        expect(main).toEqual(costs.slice(0, cores).map((_, i) => i));
        expect(costs.length).toBeLessThanOrEqual(4 * cores);
        const split = sharedMakespan(
          main.map((i) => costs[i]!),
          side.map((i) => costs[i]!),
          cores,
        );
        expect(split + (side.length * THREAD_START_COST) / cores).toBeLessThan(sharedMakespan(costs, [], cores));
        // Never below the two bounds: the longest job, and all the work spread over every core.
        expect(split * (1 + 1e-9)).toBeGreaterThanOrEqual(Math.max(0, ...costs));
        expect(split * (1 + 1e-9)).toBeGreaterThanOrEqual(costs.reduce((a, b) => a + b, 0) / cores);
      }),
      { numRuns: 300 },
    );
  });
});

describe('LaneHasher', () => {
  let dir = '';
  let path = '';
  let data: Uint8Array;
  const task = (start: number, end: number): RangeTask => {
    const st = statSync(path);
    return { path, start, end, size: st.size, mtimeMs: st.mtimeMs };
  };
  beforeAll(async () => {
    dir = await makeTemp();
    path = join(dir, 'data.bin');
    data = randomBytes(300_000);
    await writeFile(path, data);
  });

  it('hashes 1 to 4 ranges at every chunk and padding boundary as node:crypto does', async () => {
    // A 128-byte chunk: ranges of many chunks, ending at every offset inside a chunk.
    const hasher = new LaneHasher(128);
    const lengths = [0, 1, 55, 56, 63, 64, 119, 120, 127, 128, 129, 183, 184, 191, 192, 256, 1000, 4096, 12_345];
    for (let k = 0; k < lengths.length; k += 3) {
      for (const count of [1, 2, 3, 4]) {
        const ranges = Array.from({ length: count }, (_, l) => {
          const n = lengths[(k + l) % lengths.length]!;
          const start = 977 * (k + l);
          return task(start, start + n);
        });
        const results = await hasher.hash(ranges);
        results.forEach((r, l) => {
          expect(r.ok, `range ${l} of ${count}`).toBe(true);
          if (r.ok) expect(toHex(r.digest)).toBe(sha(data.subarray(ranges[l]!.start, ranges[l]!.end)));
        });
      }
    }
  });

  it('property: random ranges with the default chunk', async () => {
    const hasher = new LaneHasher();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(300_000), fc.nat(300_000)), { minLength: 1, maxLength: 4 }), async (pairs) => {
        const ranges = pairs.map(([a, b]) => task(Math.min(a, b), Math.max(a, b)));
        const results = await hasher.hash(ranges);
        results.forEach((r, l) => {
          expect(r.ok && toHex(r.digest)).toBe(sha(data.subarray(ranges[l]!.start, ranges[l]!.end)));
        });
      }),
      { numRuns: 40 },
    );
  });

  it('reports a missing file, a changed file and a short read per range, and still hashes the rest', async () => {
    const hasher = new LaneHasher(4096);
    const ok = task(0, 100_000);
    const results = await hasher.hash([ok, { ...ok, path: join(dir, 'missing') }, { ...ok, size: ok.size + 1 }, { ...task(0, 100_000), end: 400_000 }]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'ERR_NOT_FOUND', 'ERR_FILE_CHANGED', 'ERR_FILE_CHANGED']);
    expect(results[0]!.ok && toHex(results[0]!.digest)).toBe(sha(data.subarray(0, 100_000)));
  });

  it('stops when cancelled', async () => {
    const hasher = new LaneHasher(4096);
    let steps = 0;
    const results = await hasher.hash([task(0, 300_000), task(1, 300_000)], undefined, () => ++steps > 2);
    expect(results.map((r) => !r.ok && r.code)).toEqual(['ERR_ABORTED', 'ERR_ABORTED']);
    expect(steps).toBe(3);
    await expect(hasher.hash([])).rejects.toThrow(RangeError);
  });
});

describe.skipIf(!HAVE_DIST)('the pool hashes with lane groups in its workers, as sha256sum does', () => {
  it('a model of 9 files: the same digests with lanes on (groups used) and off', async () => {
    const model = await makeTemp();
    const sizes = [3_000_000, 3_000_001, 2_999_999, 3_000_064, 3_100_000, 2_900_000, 3_000_000, 3_000_000, 17];
    for (const [i, n] of sizes.entries()) await writeFile(join(model, `part-${i}.bin`), randomBytes(n));
    // And a sparse file, which reads as zeros.
    await writeFile(join(model, 'sparse.bin'), '');
    await truncate(join(model, 'sparse.bin'), 3_000_000);
    const sum = (name: string) => execFileSync('sha256sum', ['-b', join(model, name)], { encoding: 'utf8' }).split(' ')[0]!;
    const runs = [];
    for (const lanes of [true, false]) {
      const pool = workerPool({ threads: 2, lanes });
      try {
        const m = await hashModel(model, { method: 'files', pool });
        runs.push(m);
        if (lanes) expect(pool.lastLaneGroups).toBeGreaterThan(0);
        else expect(pool.lastLaneGroups).toBe(0);
        for (const r of m.resources) expect(toHex(r.digest), r.name).toBe(sum(r.name));
      } finally {
        await pool.destroy();
      }
    }
    expect(toHex(runs[0]!.rootDigest)).toBe(toHex(runs[1]!.rootDigest));
  });

  for (const callerThread of [true, false]) {
    it(`three equal files on two threads: the third on ${callerThread ? 'the calling thread' : 'a side thread'}, the same digests; if it fails, the run fails`, async () => {
      const model = await makeTemp();
      // Large enough that sharing the cores beats the cost of one more thread (see THREAD_START_COST).
      for (let i = 0; i < 3; i++) await writeFile(join(model, `part-${i}.bin`), randomBytes(24_000_000 + i));
      const sum = (name: string) => execFileSync('sha256sum', ['-b', join(model, name)], { encoding: 'utf8' }).split(' ')[0]!;
      const pool = workerPool({ threads: 2, callerThread });
      try {
        const m = await hashModel(model, { method: 'files', pool });
        expect(pool.lastSideJobs).toBe(1);
        expect(pool.lastCallerJob).toBe(callerThread);
        expect(m.resources).toHaveLength(3);
        for (const r of m.resources) expect(toHex(r.digest), r.name).toBe(sum(r.name));
        // The smallest file (part-0) is the side job; planned with another mtime, it is a changed file.
        const tasks = ['part-0.bin', 'part-1.bin', 'part-2.bin'].map((name) => {
          const path = join(model, name);
          const st = statSync(path);
          return { path, start: 0, end: st.size, size: st.size, mtimeMs: name === 'part-0.bin' ? st.mtimeMs - 1000 : st.mtimeMs };
        });
        await expect(pool.hashRanges(tasks)).rejects.toMatchObject({ code: 'ERR_FILE_CHANGED', message: expect.stringContaining('part-0.bin') });
        expect(pool.lastSideJobs).toBe(1);
        expect(pool.lastCallerJob).toBe(callerThread);
      } finally {
        await pool.destroy();
      }
    });
  }
});
