/**
 * Shared helpers for the weights (issue 2) tests: where the vectors and the
 * built CLI live, temporary directories, and asserting failures by code.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { HashPool } from '../src/digest/pool.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root. */
export const REPO = resolve(here, '..');
/** Other projects' vectors, read in place (never copied into the repo). */
export const VECTORS = resolve(REPO, '../shared/vectors');
/** The OpenSSF model-signing vectors. */
export const OMS = join(VECTORS, 'oms');
/** True when the shared vectors are present. */
export const HAVE_VECTORS = existsSync(join(OMS, 'INDEX.md'));
/** The P-384 public test key the `*-elliptic-key` models are signed with. */
export const P384_PUB = join(OMS, 'keys/certificate/signing-key-pub.pem');
/** Its private half (a public test key from model-transparency). */
export const P384_PRIV = join(OMS, 'keys/certificate/signing-key.pem');
/** The OMS hint of that key, as written by the reference. */
export const P384_HINT = 'e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e';

/** The built CLI and worker (owned by the build; tests only read them). */
export const CLI = join(REPO, 'dist/cli.js');
export const WORKER_URL = new URL('../dist/hash-worker.js', import.meta.url);
export const HAVE_DIST = existsSync(CLI) && existsSync(fileURLToPath(WORKER_URL));

/** A pool that always uses real worker threads (the built worker). */
export function workerPool(options: { threads?: number; chunkSize?: number; lanes?: boolean; callerThread?: boolean } = {}): HashPool {
  return new HashPool({ workerUrl: WORKER_URL, inlineBelow: 0, ...options });
}

/** Make a temporary directory; remove every one made with `cleanupTemp`. */
const temps: string[] = [];
export async function makeTemp(prefix = 'provenant-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
export async function cleanupTemp(): Promise<void> {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** Await `promise`, expect it to reject, and return the error. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; details?: readonly string[] }> {
  let settled = false;
  try {
    await promise;
    settled = true;
  } catch (err) {
    return err as Error & { code?: string };
  }
  expect(settled, 'expected the promise to reject').toBe(false);
  throw new Error('unreachable');
}

/** Expect `promise` to reject with a provenant error whose `code` is `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<Error & { code?: string; details?: readonly string[] }> {
  const err = await rejection(promise);
  expect((err as { code?: string }).code, `error: ${err.message}`).toBe(code);
  return err;
}

/** Expect `fn` to throw synchronously with `code`. */
export function expectThrowCode(fn: () => unknown, code: string): Error & { code?: string } {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'expected a throw').toBeInstanceOf(Error);
  expect((thrown as { code?: string }).code, (thrown as Error).message).toBe(code);
  return thrown as Error & { code?: string };
}

/** What running the CLI produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `node dist/cli.js ...args` with pipes (never a TTY). */
export function runCli(args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: options.cwd ?? REPO, timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}
