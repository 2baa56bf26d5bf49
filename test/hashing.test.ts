/**
 * The hashing engine: digests cross-checked against `sha256sum` and
 * node:crypto, every chunking of the input giving the same digest (noble's
 * 'partial' test), shard boundaries, OMS path order (against Python's
 * PurePosixPath), change detection, abort and progress.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, statSync, utimesSync } from 'node:fs';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawCid, sha256Multihash } from '../src/digest/cid.js';
import { hashFile } from '../src/digest/file.js';
import { hashModel } from '../src/digest/model.js';
import { compareCodePoints, comparePosixPaths } from '../src/digest/paths.js';
import { HashPool, type HashProgress } from '../src/digest/pool.js';
import { RangeHasher, type RangeTask } from '../src/digest/range.js';
import { toHex } from '../src/lib/bytes.js';
import { cleanupTemp, expectCode, HAVE_DIST, makeTemp, workerPool } from './helpers.js';

const MiB = 1024 * 1024;

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sha256sum(path: string): string {
  return execFileSync('sha256sum', ['-b', path], { encoding: 'utf8' }).split(' ')[0]!;
}

function taskFor(path: string, start?: number, end?: number): RangeTask {
  const st = statSync(path);
  return { path, start: start ?? 0, end: end ?? st.size, size: st.size, mtimeMs: st.mtimeMs };
}

afterAll(cleanupTemp);

describe('digests cross-checked with sha256sum', () => {
  let dir = '';
  const sizes = [0, 1, 4095, 4096, 4097, 65_537, 4 * MiB - 1, 4 * MiB + 1, 9 * MiB, 9 * MiB + 12_345];
  beforeAll(async () => {
    dir = await makeTemp();
    for (const size of sizes) await writeFile(join(dir, `r${size}`), randomBytes(size));
  });

  it.each(sizes)('inline: %i random bytes', async (size) => {
    const path = join(dir, `r${size}`);
    expect(toHex(await hashFile(path))).toBe(sha256sum(path));
  });

  it.skipIf(!HAVE_DIST)('worker threads: files larger than the chunk size and odd sizes', async () => {
    // A small chunk size forces many reads per task and a short last read.
    const pool = workerPool({ chunkSize: 64 * 1024 + 3 });
    try {
      for (const size of sizes) {
        const path = join(dir, `r${size}`);
        expect(toHex(await hashFile(path, { pool })), `size ${size}`).toBe(sha256sum(path));
      }
      // Several files at once, scheduled largest first, answered in task order.
      const tasks = sizes.map((s) => taskFor(join(dir, `r${s}`)));
      const digests = await pool.hashRanges(tasks);
      expect(digests.map(toHex)).toEqual(sizes.map((s) => sha256sum(join(dir, `r${s}`))));
    } finally {
      await pool.destroy();
    }
  });

  it('default chunk size with real workers on a 9 MiB file (two full 4 MiB buffers and a tail)', async () => {
    if (!HAVE_DIST) return;
    const pool = workerPool();
    try {
      const path = join(dir, `r${9 * MiB + 12_345}`);
      expect(toHex(await hashFile(path, { pool }))).toBe(sha256sum(path));
    } finally {
      await pool.destroy();
    }
  });

  it('runs that overlap on one pool, on the calling thread, each get buffers of their own', async () => {
    // Everything under inlineBelow is hashed on the calling thread; four runs at once must not share read buffers.
    const pool = new HashPool({ inlineBelow: 1 << 30 });
    const names = [`r${4 * MiB + 1}`, `r${4 * MiB - 1}`, `r${9 * MiB}`, `r${9 * MiB + 12_345}`];
    const digests = await Promise.all(names.map((name) => pool.hashRanges([taskFor(join(dir, name))])));
    expect(digests.map(([d]) => toHex(d!))).toEqual(names.map((name) => sha256sum(join(dir, name))));
  });

  it('multihash and CIDv1 (raw) wrap the same digest', async () => {
    const path = join(dir, 'r4097');
    const digest = await hashFile(path);
    const mh = sha256Multihash(digest);
    expect(toHex(mh.bytes)).toBe(`1220${sha256sum(path)}`);
    const cid = rawCid(digest);
    expect(cid.version).toBe(1);
    expect(cid.code).toBe(0x55);
    expect(cid.toString()).toMatch(/^bafkrei[a-z2-7]+$/);
    expect(toHex(cid.multihash.digest)).toBe(sha256sum(path));
    expect(() => sha256Multihash(digest.subarray(0, 31))).toThrow(RangeError);
  });
});

describe("'partial': every chunking and every range gives the node:crypto digest", () => {
  let dir = '';
  let data: Uint8Array;
  let path = '';
  beforeAll(async () => {
    dir = await makeTemp();
    data = randomBytes(300_001);
    path = join(dir, 'data');
    await writeFile(path, data);
  });

  it.each([1, 7, 4096, 4097, 65_536, 65_537, 1 << 20])('chunk size %i, whole file', async (chunkSize) => {
    const small = chunkSize < 4096;
    const bytes = small ? data.subarray(0, 5000) : data;
    const task = small ? { ...taskFor(path), end: 5000 } : taskFor(path);
    const result = await new RangeHasher(chunkSize).hash(task);
    expect(result.ok).toBe(true);
    if (result.ok) expect(toHex(result.digest)).toBe(sha256Hex(bytes));
  });

  it('random ranges and chunk sizes (fast-check)', async () => {
    const size = data.length;
    const hashers = new Map<number, RangeHasher>();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: size }),
        fc.integer({ min: 0, max: size }),
        fc.constantFrom(1, 2, 3, 64, 4095, 4096, 4097, 10_000, 65_536),
        // Overlapped reads capped below the buffer (the last jobs of a run), or not.
        fc.option(fc.integer({ min: 1, max: 70_000 })),
        // Reads overlapped with hashing, or plain synchronous ones, or a mix.
        fc.constantFrom('always', 'never', 'alternate'),
        async (a, b, chunkSize, overlapSize, mode) => {
          const start = Math.min(a, b);
          const end = Math.min(Math.max(a, b), start + 200_000);
          if ((chunkSize < 64 || (overlapSize ?? 64) < 64) && end - start > 5000) return; // keep 1-byte reads cheap
          let hasher = hashers.get(chunkSize);
          if (!hasher) hashers.set(chunkSize, (hasher = new RangeHasher(chunkSize)));
          let turn = 0;
          const spare = () => (mode === 'always' ? true : mode === 'never' ? false : turn++ % 2 === 0);
          const r = await hasher.hash(taskFor(path, start, end), undefined, undefined, spare, overlapSize ?? undefined);
          expect(r.ok).toBe(true);
          if (r.ok) expect(toHex(r.digest)).toBe(sha256Hex(data.subarray(start, end)));
        },
      ),
      { numRuns: 150 },
    );
  });

  it.skipIf(!HAVE_DIST)('worker pools with different chunk sizes agree', async () => {
    const expected = sha256Hex(data);
    for (const chunkSize of [4096, 4097, 65_536, 1 << 20]) {
      const pool = workerPool({ chunkSize, threads: 1 });
      try {
        expect(toHex(await hashFile(path, { pool })), `chunk ${chunkSize}`).toBe(expected);
      } finally {
        await pool.destroy();
      }
    }
  });
});

describe('shards at odd sizes', () => {
  let model = '';
  const files: Record<string, Uint8Array> = {};
  beforeAll(async () => {
    model = await makeTemp();
    files['big.bin'] = randomBytes(9 * MiB + 17);
    files['exact.bin'] = randomBytes(3 * 1_000_003); // an exact multiple of the shard size
    files['small.bin'] = randomBytes(5);
    files['empty.bin'] = new Uint8Array(0);
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(model, name), bytes);
  });

  function expectedShards(shardSize: number, names: string[]): { name: string; digest: string }[] {
    const out: { name: string; digest: string }[] = [];
    for (const name of [...names].sort()) {
      const bytes = files[name]!;
      for (let start = 0; start < bytes.length; start += shardSize) {
        const end = Math.min(start + shardSize, bytes.length);
        out.push({ name: `${name}:${start}:${end}`, digest: sha256Hex(bytes.subarray(start, end)) });
      }
    }
    return out;
  }

  it.each([1_000_003, 4 * MiB + 1, 7])('shard size %i', async (shardSize) => {
    const pool = HAVE_DIST ? workerPool({ chunkSize: 65_537 }) : new HashPool();
    try {
      const m = await hashModel(model, {
        method: 'shards',
        shardSize,
        pool,
        ...(shardSize === 7 ? { ignorePaths: ['big.bin', 'exact.bin'] } : {}),
      });
      const names = Object.keys(files).filter((n) => shardSize !== 7 || (n !== 'big.bin' && n !== 'exact.bin'));
      const want = expectedShards(shardSize, names);
      expect(m.resources.map((r) => ({ name: r.name, digest: toHex(r.digest) }))).toEqual(want);
      expect(new Set(m.resources.map((r) => r.algorithm))).toEqual(new Set([`sha256-sharded-${shardSize}`]));
      // No empty trailing shard for an exact multiple; none at all for an empty file.
      expect(m.resources.some((r) => /:(\d+):\1$/.test(r.name))).toBe(false);
      expect(m.resources.some((r) => r.name.startsWith('empty.bin'))).toBe(false);
      const root = createHash('sha256');
      for (const r of m.resources) root.update(r.digest);
      expect(toHex(m.rootDigest)).toBe(root.digest('hex'));
    } finally {
      await pool.destroy();
    }
  });

  it('rejects a non-positive or fractional shard size with ERR_USAGE', async () => {
    for (const shardSize of [0, -1, 1.5]) {
      await expectCode(hashModel(model, { method: 'shards', shardSize }), 'ERR_USAGE');
    }
  });
});

describe('OMS path order (Python PurePosixPath)', () => {
  it('orders by component, then by code point', () => {
    const ordered = ['a/b', 'a/b/c', 'a-b/x', 'a.txt', 'b', '\uFFFD', '\u{1F600}'];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        const c = Math.sign(comparePosixPaths(ordered[i]!, ordered[j]!));
        expect(c, `${ordered[i]} vs ${ordered[j]}`).toBe(Math.sign(i - j));
      }
    }
    // Plain string order disagrees on both counts, which is why it is not used.
    expect(['a-b/x', 'a/b'].sort()).toEqual(['a-b/x', 'a/b']);
    expect(['\uFFFD', '\u{1F600}'].sort()).toEqual(['\u{1F600}', '\uFFFD']);
    expect(Math.sign(compareCodePoints('\uFFFD', '\u{1F600}'))).toBe(-1);
  });

  it('matches python3 sorted(PurePosixPath) on random names (fast-check)', () => {
    const alphabet = ['a', 'b', 'A', '-', '.', '_', '0', 'é', '\uFFFD', '\uFF5E', '\u{1F600}', '\u{10000}', ' '];
    const component = fc
      .array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 4 })
      .map((cs) => cs.join(''))
      .filter((c) => c !== '.' && c !== '..');
    const pathArb = fc.array(component, { minLength: 1, maxLength: 3 }).map((cs) => cs.join('/'));
    const samples = fc.sample(fc.uniqueArray(pathArb, { minLength: 2, maxLength: 40 }), { numRuns: 25, seed: 20240601 });
    const script =
      'import json,sys\nfrom pathlib import PurePosixPath as P\n' +
      'for names in json.load(sys.stdin):\n  print(json.dumps([str(p) for p in sorted(P(n) for n in names)]))\n';
    const out = execFileSync('python3', ['-c', script], { input: JSON.stringify(samples), encoding: 'utf8' });
    const pythonOrders = out.trim().split('\n').map((line) => JSON.parse(line) as string[]);
    expect(pythonOrders).toHaveLength(samples.length);
    samples.forEach((names, i) => {
      expect([...names].sort(comparePosixPaths)).toEqual(pythonOrders[i]);
    });
  });

  it('a model directory with such names lists its resources in that order', async () => {
    const model = await makeTemp();
    const names = ['a/b/c', 'a/a', 'a-b/x', 'a.txt', 'b', '\uFFFD', '\u{1F600}', 'é/f', 'Z'];
    for (const name of names) {
      const path = join(model, ...name.split('/'));
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, name);
    }
    const m = await hashModel(model);
    const got = m.resources.map((r) => r.name);
    const script = 'import json,sys\nfrom pathlib import PurePosixPath as P\nprint(json.dumps([str(p) for p in sorted(P(n) for n in json.load(sys.stdin))]))';
    const python = JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(names), encoding: 'utf8' })) as string[];
    expect(got).toEqual(python);
    expect(got).toEqual(['Z', 'a/a', 'a/b/c', 'a-b/x', 'a.txt', 'b', 'é/f', '\uFFFD', '\u{1F600}']);
    for (const r of m.resources) {
      expect(toHex(r.digest)).toBe(sha256Hex(new TextEncoder().encode(r.name)));
    }
  });
});

describe('a file that changes while it is hashed is an error, never a wrong digest', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await makeTemp();
  });

  it('planned size differs from the file (inline)', async () => {
    const path = join(dir, 'grown');
    await writeFile(path, randomBytes(1000));
    const task = { ...taskFor(path), size: 999, end: 999 };
    await expectCode(new HashPool().hashRanges([task]), 'ERR_FILE_CHANGED');
  });

  it('planned mtime differs from the file (inline)', async () => {
    const path = join(dir, 'touched');
    await writeFile(path, randomBytes(1000));
    const task = taskFor(path);
    utimesSync(path, new Date(), new Date(task.mtimeMs + 5000));
    await expectCode(new HashPool().hashRanges([task]), 'ERR_FILE_CHANGED');
  });

  it('the file shrank below the planned range: a short read (inline)', async () => {
    const path = join(dir, 'shrunk');
    await writeFile(path, randomBytes(10_000));
    const task = taskFor(path);
    await truncate(path, 5000);
    await expectCode(new HashPool().hashRanges([task]), 'ERR_FILE_CHANGED');
  });

  it.skipIf(!HAVE_DIST)('planned size or mtime differ (worker threads)', async () => {
    const path = join(dir, 'worker-changed');
    await writeFile(path, randomBytes(100_000));
    const task = taskFor(path);
    const pool = workerPool();
    try {
      await expectCode(pool.hashRanges([{ ...task, size: task.size + 1 }]), 'ERR_FILE_CHANGED');
      await expectCode(pool.hashRanges([{ ...task, mtimeMs: task.mtimeMs - 1000 }]), 'ERR_FILE_CHANGED');
      // A failure in one task among many is reported, not a partial result.
      const ok = taskFor(join(dir, 'worker-changed'));
      await expectCode(pool.hashRanges([ok, { ...ok, size: ok.size - 1 }, ok]), 'ERR_FILE_CHANGED');
      // The pool still works afterwards.
      expect(toHex((await pool.hashRanges([ok]))[0]!)).toBe(sha256sum(path));
    } finally {
      await pool.destroy();
    }
  });

  it.skipIf(!HAVE_DIST)('a real append while a worker hashes a 64 MiB file', async () => {
    const path = join(dir, 'appended');
    await writeFile(path, '');
    await truncate(path, 64 * MiB);
    // One thread and the smallest buffer: tens of thousands of reads, so the
    // first progress event (~100 ms) comes long before the end.
    const pool = workerPool({ threads: 1, chunkSize: 4096 });
    let appendedAt: HashProgress | undefined;
    try {
      await expectCode(
        hashFile(path, {
          pool,
          onProgress: (p) => {
            if (!appendedAt && p.bytesDone > 0) {
              appendedAt = p;
              appendFileSync(path, 'more');
            }
          },
        }),
        'ERR_FILE_CHANGED',
      );
      expect(appendedAt, 'the append happened mid-hash').toBeDefined();
      expect(appendedAt!.bytesDone).toBeLessThan(appendedAt!.bytesTotal);
    } finally {
      await pool.destroy();
    }
  });
});

describe.skipIf(!HAVE_DIST)('abort and progress with real workers', () => {
  let big = '';
  beforeAll(async () => {
    const dir = await makeTemp();
    big = join(dir, 'sparse-200m');
    await writeFile(big, '');
    await truncate(big, 200 * MiB);
  });

  it('aborting after the first progress event rejects ERR_ABORTED promptly; the pool stays usable', async () => {
    const pool = workerPool({ threads: 2 });
    try {
      // Baseline: the full hash on the same pool, measured in the same run.
      const t0 = performance.now();
      const full = await hashFile(big, { pool });
      const fullMs = performance.now() - t0;
      expect(toHex(full)).toBe(sha256sum(big));

      const controller = new AbortController();
      let abortedAt = 0;
      let seen: HashProgress | undefined;
      const err = await expectCode(
        hashFile(big, {
          pool,
          signal: controller.signal,
          onProgress: (p) => {
            if (!seen) {
              seen = p;
              abortedAt = performance.now();
              controller.abort(new Error('stop'));
            }
          },
        }),
        'ERR_ABORTED',
      );
      const latencyMs = performance.now() - abortedAt;
      expect(err.name).toBe('AbortError');
      expect(seen).toBeDefined();
      expect(seen!.bytesDone).toBeLessThan(seen!.bytesTotal);
      // The rest of the file was not hashed: stopping took far less than the
      // remaining work would have (a ratio, not a wall-clock limit).
      const remainingMs = fullMs * (1 - seen!.bytesDone / seen!.bytesTotal);
      expect(latencyMs).toBeLessThan(Math.max(remainingMs / 2, 1));

      // A hash on the same pool afterwards still works and is right.
      expect(toHex(await hashFile(big, { pool }))).toBe(toHex(full));
    } finally {
      await pool.destroy();
    }
  });

  it('an already-aborted signal rejects before any work, inline and with workers', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectCode(hashFile(big, { signal: controller.signal }), 'ERR_ABORTED');
    const model = await makeTemp();
    await writeFile(join(model, 'f'), 'x');
    await expectCode(hashModel(model, { signal: controller.signal }), 'ERR_ABORTED');
  });

  it('abort stops a shards hash across many tasks; destroy() resolves and leaves no workers', async () => {
    // A live worker pool shows up as a MessagePort handle.
    const threadHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker').length;
    const before = threadHandles();
    const pool = workerPool({ threads: 2, chunkSize: 4096 });
    const controller = new AbortController();
    let events = 0;
    let during = 0;
    const pending = expectCode(
      hashModel(big, {
        method: 'shards',
        shardSize: 8 * MiB,
        pool,
        signal: controller.signal,
        onProgress: () => {
          if (events++ === 0) {
            during = threadHandles();
            controller.abort();
          }
        },
      }),
      'ERR_ABORTED',
    );
    await pending;
    expect(during, 'workers were running').toBeGreaterThan(before);
    await pool.destroy();
    // Give the terminated threads a moment to release their handles.
    await new Promise((r) => setTimeout(r, 50));
    expect(threadHandles()).toBe(before);
  });

  it('progress: bytesDone is monotonic and ends equal to bytesTotal', async () => {
    const dir = await makeTemp();
    await writeFile(join(dir, 'a'), '');
    await truncate(join(dir, 'a'), 40 * MiB + 3);
    await writeFile(join(dir, 'b'), randomBytes(5 * MiB));
    const pool = workerPool({ threads: 2, chunkSize: 65_536 });
    const events: HashProgress[] = [];
    try {
      const m = await hashModel(dir, { method: 'shards', shardSize: 3 * MiB, pool, onProgress: (p) => events.push(p) });
      expect(events.length).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < events.length; i++) expect(events[i]!.bytesDone).toBeGreaterThanOrEqual(events[i - 1]!.bytesDone);
      for (const e of events) expect(e.bytesTotal).toBe(45 * MiB + 3);
      expect(events.at(-1)).toEqual({ bytesDone: 45 * MiB + 3, bytesTotal: 45 * MiB + 3 });
      expect(m.totalBytes).toBe(45 * MiB + 3);
    } finally {
      await pool.destroy();
    }
  });

  it('progress inline (small model) also ends at the total', async () => {
    const dir = await makeTemp();
    await writeFile(join(dir, 'a'), randomBytes(12_345));
    const events: HashProgress[] = [];
    await hashModel(dir, { onProgress: (p) => events.push(p) });
    expect(events.at(-1)).toEqual({ bytesDone: 12_345, bytesTotal: 12_345 });
  });
});
