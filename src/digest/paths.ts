import { InputError } from '../lib/errors.js';

/**
 * Compare two relative POSIX paths the way OMS's reference implementation
 * sorts them (Python `PurePosixPath` ordering): component by component, each
 * component by Unicode code point. Plain string comparison differs both on
 * separators (`a-b/x` sorts before `a/b` as a string) and on characters
 * outside the BMP (UTF-16 code units).
 */
export function comparePosixPaths(a: string, b: string): number {
  if (a === b) return 0;
  const pa = a === '.' ? [] : a.split('/');
  const pb = b === '.' ? [] : b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = compareCodePoints(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/** Compare strings by Unicode code point, as Python does. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/**
 * Check that `name` is a relative POSIX path that stays inside the model
 * directory: no absolute path, no `..` or `.` component, no empty component,
 * no backslash or NUL. The single-file model name `.` is allowed.
 *
 * @param name a resource or ignore path as written in a signature or given by a user
 * @param what what the name is, for the message
 * @returns `name`
 * @throws InputError `ERR_PATH_ESCAPE`
 */
export function assertContainedPath(name: string, what = 'path'): string {
  if (name === '.') return name;
  const bad =
    typeof name !== 'string' ||
    name.length === 0 ||
    name.startsWith('/') ||
    /^[A-Za-z]:/.test(name) ||
    name.includes('\\') ||
    name.includes('\0') ||
    name.split('/').some((part) => part === '' || part === '.' || part === '..');
  if (bad) {
    throw new InputError('ERR_PATH_ESCAPE', `${what} ${JSON.stringify(name)} is not a relative path inside the model directory`);
  }
  return name;
}
