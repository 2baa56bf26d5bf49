import { createHash } from 'node:crypto';
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError, fsError, throwIfAborted } from '../lib/errors.js';
import { toHex } from '../lib/bytes.js';
import { HashPool, type HashRunOptions } from './pool.js';
import { assertContainedPath, comparePosixPaths } from './paths.js';
import type { RangeTask } from './range.js';

/** OMS serialization methods. */
export type SerializationMethod = 'files' | 'shards';

/** OMS's default shard size (bytes). */
export const DEFAULT_SHARD_SIZE = 1_000_000_000;

/** Paths OMS ignores by default, relative to the model directory. */
export const DEFAULT_IGNORED_PATHS: readonly string[] = ['.git', '.gitattributes', '.github', '.gitignore'];

/** Options of {@link hashModel}. */
export interface HashModelOptions extends HashRunOptions {
  /** `files` (one digest per file, the default) or `shards`. */
  method?: SerializationMethod;
  /** Shard size in bytes for `shards`; default 1,000,000,000. */
  shardSize?: number;
  /**
   * Paths to leave out, relative to the model directory (or absolute paths
   * inside it). A path and everything under it is ignored.
   */
  ignorePaths?: readonly string[];
  /** Also ignore `.git`, `.gitattributes`, `.github`, `.gitignore` (default true). */
  ignoreGitPaths?: boolean;
  /** Hash symlinked files (by their target's content) instead of refusing them. */
  allowSymlinks?: boolean;
  /**
   * Hash only these files (relative names, as a signature lists them)
   * instead of walking the directory. Listed files that do not exist are
   * left out of the result.
   */
  onlyFiles?: readonly string[];
  /** A pool to run on; by default one is made for this call and stopped after. */
  pool?: HashPool;
}

/** One hashed resource, as OMS names it. */
export interface ModelResource {
  /** `path` (files) or `path:start:end` (shards); `.` for a single-file model. */
  name: string;
  /** `sha256` or `sha256-sharded-<size>`. */
  algorithm: string;
  /** Raw 32-byte digest. */
  digest: Uint8Array;
}

/** The result of hashing a model: what an OMS statement records. */
export interface ModelManifest {
  /** Subject name: the directory's (or single file's) base name. */
  modelName: string;
  method: SerializationMethod;
  hashType: 'sha256';
  /** Present for `shards`. */
  shardSize?: number;
  allowSymlinks: boolean;
  /** The ignored paths, relative to the model, sorted. */
  ignorePaths: string[];
  /** Resources in OMS order (by path components, then shard start). */
  resources: ModelResource[];
  /** SHA-256 over the concatenated raw resource digests. */
  rootDigest: Uint8Array;
  /** Bytes hashed. */
  totalBytes: number;
}

/** JSON form of a manifest, as `provenant hash --json` prints it. */
export interface ModelManifestJson {
  method: SerializationMethod;
  hashType: 'sha256';
  shardSize?: number;
  resources: { name: string; algorithm: string; digest: string }[];
  rootDigest: string;
}

interface PlannedFile {
  /** Relative POSIX name (`.` for a single-file model). */
  name: string;
  /** Path to read (the symlink itself; reading follows it). */
  path: string;
  size: number;
  mtimeMs: number;
}

/**
 * Hash a model directory (or a single-file model) the way the OpenSSF model
 * signing format serializes it, with streaming SHA-256 in worker threads.
 *
 * @param modelPath a directory, or one file
 * @param options method, shard size, ignore rules, symlinks, pool, progress, signal
 * @returns the manifest: resources in OMS order and the root digest
 * @throws InputError `ERR_NOT_FOUND`, `ERR_SYMLINK_REFUSED`, `ERR_UNSUPPORTED_FILE_TYPE`,
 *   `ERR_PATH_ESCAPE`, `ERR_FILE_CHANGED`, `ERR_UNREADABLE`; AbortError `ERR_ABORTED`
 * @example
 * ```ts
 * const m = await hashModel('models/tiny', { method: 'shards' });
 * console.log(toHex(m.rootDigest));
 * ```
 */
export async function hashModel(modelPath: string, options: HashModelOptions = {}): Promise<ModelManifest> {
  const method = options.method ?? 'files';
  if (method !== 'files' && method !== 'shards') {
    throw new InputError('ERR_USAGE', `unknown serialization method ${JSON.stringify(method)} (expected files or shards)`);
  }
  const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
  if (method === 'shards' && (!Number.isSafeInteger(shardSize) || shardSize < 1)) {
    throw new InputError('ERR_USAGE', `shard size must be a positive integer, got ${shardSize}`);
  }
  const allowSymlinks = options.allowSymlinks ?? false;
  throwIfAborted(options.signal);

  const root = resolve(modelPath);
  const ignorePaths = normalizeIgnorePaths(root, options.ignorePaths ?? [], options.ignoreGitPaths ?? true);
  const files = options.onlyFiles
    ? await planListedFiles(root, options.onlyFiles, allowSymlinks)
    : await planModel(root, ignorePaths, allowSymlinks, options.signal);

  const tasks: RangeTask[] = [];
  const names: string[] = [];
  for (const f of files) {
    if (method === 'files') {
      tasks.push({ path: f.path, start: 0, end: f.size, size: f.size, mtimeMs: f.mtimeMs });
      names.push(f.name);
    } else {
      // OMS: an empty file has no shards; the last shard ends at the file size.
      for (let start = 0; start < f.size; start += shardSize) {
        const end = Math.min(start + shardSize, f.size);
        tasks.push({ path: f.path, start, end, size: f.size, mtimeMs: f.mtimeMs });
        names.push(`${f.name}:${start}:${end}`);
      }
    }
  }

  const pool = options.pool ?? new HashPool();
  let digests: Uint8Array[];
  try {
    digests = await pool.hashRanges(tasks, { signal: options.signal, onProgress: options.onProgress });
  } finally {
    if (!options.pool) await pool.destroy();
  }

  const algorithm = method === 'files' ? 'sha256' : `sha256-sharded-${shardSize}`;
  // Files are already in OMS path order and shards of one file in start
  // order, so the resources come out sorted.
  const resources: ModelResource[] = names.map((name, i) => ({ name, algorithm, digest: digests[i]! }));
  return {
    modelName: modelNameOf(root),
    method,
    hashType: 'sha256',
    ...(method === 'shards' ? { shardSize } : {}),
    allowSymlinks,
    ignorePaths: [...ignorePaths].sort(comparePosixPaths),
    resources,
    rootDigest: rootDigestOf(resources.map((r) => r.digest)),
    totalBytes: tasks.reduce((n, t) => n + (t.end - t.start), 0),
  };
}

/**
 * The OMS root digest: SHA-256 over the raw resource digests, concatenated in
 * the order given.
 */
export function rootDigestOf(digests: readonly Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const d of digests) h.update(d);
  return new Uint8Array(h.digest());
}

/** The JSON form of a manifest (hex digests). */
export function manifestToJson(m: ModelManifest): ModelManifestJson {
  return {
    method: m.method,
    hashType: m.hashType,
    ...(m.shardSize !== undefined ? { shardSize: m.shardSize } : {}),
    resources: m.resources.map((r) => ({ name: r.name, algorithm: r.algorithm, digest: toHex(r.digest) })),
    rootDigest: toHex(m.rootDigest),
  };
}

function modelNameOf(root: string): string {
  return basename(root) || root;
}

/** Ignore paths as relative POSIX names; those outside the model are dropped (as OMS does). */
function normalizeIgnorePaths(root: string, given: readonly string[], git: boolean): Set<string> {
  const out = new Set<string>(git ? DEFAULT_IGNORED_PATHS : []);
  for (const p of given) {
    if (typeof p !== 'string' || p.length === 0) throw new InputError('ERR_USAGE', 'an ignore path is empty');
    const abs = isAbsolute(p) ? p : join(root, p);
    const rel = relative(root, abs);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) continue;
    out.add(rel.split(sep).join('/'));
  }
  return out;
}

function isIgnored(rel: string, ignored: Set<string>): boolean {
  if (ignored.has(rel)) return true;
  for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) {
    if (ignored.has(rel.slice(0, i))) return true;
  }
  return false;
}

async function planModel(
  root: string,
  ignored: Set<string>,
  allowSymlinks: boolean,
  signal: AbortSignal | undefined,
): Promise<PlannedFile[]> {
  let top;
  try {
    top = await lstat(root);
  } catch (err) {
    throw fsError(err, root, 'read the model');
  }
  if (top.isSymbolicLink()) {
    if (!allowSymlinks) throw symlinkRefused(root);
    try {
      top = await stat(root);
    } catch (err) {
      throw fsError(err, root, 'follow the symlink');
    }
  }
  if (top.isFile()) return [{ name: '.', path: root, size: top.size, mtimeMs: top.mtimeMs }];
  if (!top.isDirectory()) throw notFileOrDir(root);

  const out: PlannedFile[] = [];
  const walk = async (dir: string, relDir: string): Promise<void> => {
    throwIfAborted(signal);
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch (err) {
      throw fsError(err, dir, 'list the directory');
    }
    for (const entry of entries) {
      const rel = relDir ? `${relDir}/${entry}` : entry;
      if (isIgnored(rel, ignored)) continue;
      const path = join(dir, entry);
      let st;
      try {
        st = await lstat(path);
      } catch (err) {
        throw fsError(err, path, 'read');
      }
      if (st.isSymbolicLink()) {
        if (!allowSymlinks) throw symlinkRefused(path);
        try {
          st = await stat(path);
        } catch (err) {
          throw new InputError('ERR_UNSUPPORTED_FILE_TYPE', `${path}: broken symlink`, { cause: err });
        }
        // OMS hashes a symlinked file under the link's name, and does not
        // descend into a symlinked directory.
        if (st.isFile()) out.push({ name: rel, path, size: st.size, mtimeMs: st.mtimeMs });
        else if (!st.isDirectory()) throw notFileOrDir(path);
        continue;
      }
      if (st.isDirectory()) await walk(path, rel);
      else if (st.isFile()) out.push({ name: rel, path, size: st.size, mtimeMs: st.mtimeMs });
      else throw notFileOrDir(path);
    }
  };
  await walk(root, '');
  return out.sort((a, b) => comparePosixPaths(a.name, b.name));
}

async function planListedFiles(root: string, names: readonly string[], allowSymlinks: boolean): Promise<PlannedFile[]> {
  const unique = [...new Set(names)].sort(comparePosixPaths);
  // The model itself must exist: only files inside it may be absent.
  try {
    await stat(root);
  } catch (err) {
    throw fsError(err, root, 'read the model');
  }
  const out: PlannedFile[] = [];
  for (const name of unique) {
    assertContainedPath(name, 'file name');
    const path = name === '.' ? root : join(root, ...name.split('/'));
    let st;
    try {
      st = await lstat(path);
      if (st.isSymbolicLink()) {
        if (!allowSymlinks) throw symlinkRefused(path);
        st = await stat(path);
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      // A listed file that is gone is left out, so a verifier reports it as
      // missing (exit 1) instead of failing as unreadable input.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw fsError(err, path, 'read');
    }
    if (!st.isFile()) throw notFileOrDir(path);
    out.push({ name, path, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}

function symlinkRefused(path: string): InputError {
  return new InputError('ERR_SYMLINK_REFUSED', `${path} is a symlink; pass allowSymlinks (--allow-symlinks) to hash it`);
}

function notFileOrDir(path: string): InputError {
  return new InputError('ERR_UNSUPPORTED_FILE_TYPE', `${path} is neither a regular file nor a directory`);
}
