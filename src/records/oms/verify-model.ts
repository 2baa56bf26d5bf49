import { resolve } from 'node:path';
import { bytesEqual, toHex } from '../../lib/bytes.js';
import { VerificationError } from '../../lib/errors.js';
import { readRegularFile } from '../../lib/fs.js';
import { parseJson } from '../../lib/json.js';
import { hashModel, rootDigestOf, type HashModelOptions, type ModelManifest } from '../../digest/model.js';
import type { PublicKey } from '../../envelope/keys.js';
import { verifyEnvelope } from '../../envelope/verify.js';
import { IN_TOTO_PAYLOAD_TYPE, omsKeyHint, parseKeyBundle } from './bundle.js';
import { defaultSignaturePath } from './sign-model.js';
import { parseOmsStatement, type ParsedOmsStatement } from './statement.js';

/** Options of {@link verifyModel}. */
export interface VerifyModelOptions extends Pick<HashModelOptions, 'pool' | 'signal' | 'onProgress' | 'ignorePaths'> {
  /** The public key the model must be signed with. */
  key: PublicKey;
  /** The signature bundle: a path, or its bytes. Default: the model's default signature path. */
  signature?: string | Uint8Array;
  /** Check only the files the signature lists; files on disk it does not list are not an error. */
  ignoreUnsignedFiles?: boolean;
}

/** What a successful {@link verifyModel} established. */
export interface VerifiedModel {
  statement: ParsedOmsStatement;
  /** The exact signed payload bytes. */
  payload: Uint8Array;
  /** The model as re-hashed from disk. */
  manifest: ModelManifest;
  /** Key id of the key that signed. */
  keyId: string;
}

/**
 * Verify an OMS model signature made with a public key: the bundle, the DSSE
 * signature (ECDSA with the curve's own hash, or Ed25519), the statement, its
 * root digest, and the model on disk, re-hashed with the serialization the
 * signature records.
 *
 * @param modelPath the model directory or single file
 * @param options key, signature, ignore rules, progress, signal
 * @returns what was verified
 * @throws VerificationError `ERR_SIGNATURE_INVALID`, `ERR_KEY_MISMATCH`, `ERR_UNKNOWN_MEDIA_TYPE`,
 *   `ERR_PAYLOAD_TYPE`, `ERR_STATEMENT_INVALID`, `ERR_PREDICATE_TYPE`, `ERR_ROOT_DIGEST_MISMATCH`,
 *   `ERR_MODEL_MISMATCH` (with `details` naming every missing, extra or different file)
 * @throws InputError for unreadable input
 * @example
 * ```ts
 * const key = await importPublicKey(await readFile('key.pub', 'utf8'));
 * await verifyModel('models/tiny', { key });
 * ```
 */
export async function verifyModel(modelPath: string, options: VerifyModelOptions): Promise<VerifiedModel> {
  let signaturePath: string | undefined;
  let bytes: Uint8Array;
  if (options.signature instanceof Uint8Array) bytes = new Uint8Array(options.signature);
  else {
    signaturePath = resolve(options.signature ?? (await defaultSignaturePath(modelPath)));
    bytes = await readRegularFile(signaturePath, 'read the signature');
  }
  const bundle = parseKeyBundle(bytes);
  if (bundle.hint !== undefined && bundle.hint !== omsKeyHint(options.key)) {
    throw new VerificationError('ERR_KEY_MISMATCH', 'the signature names another public key (publicKey.hint differs)');
  }
  if (bundle.rawKeyPem !== undefined && bundle.rawKeyPem.trim() !== options.key.pem.trim()) {
    throw new VerificationError('ERR_KEY_MISMATCH', 'the signature carries another public key (publicKey.rawBytes differs)');
  }
  const verified = verifyEnvelope(bundle.envelope, { keys: [options.key], threshold: 1, payloadType: IN_TOTO_PAYLOAD_TYPE });
  let value;
  try {
    value = parseJson(verified.payload, 'signed statement');
  } catch (err) {
    throw new VerificationError('ERR_STATEMENT_INVALID', `the signed payload is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const statement = parseOmsStatement(value);
  const root = rootDigestOf(statement.resources.map((r) => r.digest));
  if (!bytesEqual(root, statement.rootDigest)) {
    throw new VerificationError(
      'ERR_ROOT_DIGEST_MISMATCH',
      `the statement's subject digest ${toHex(statement.rootDigest)} is not the digest of its resources (${toHex(root)})`,
    );
  }

  const ignorePaths = [...(options.ignorePaths ?? []), ...statement.ignorePaths];
  if (signaturePath) ignorePaths.push(signaturePath);
  const onlyFiles = options.ignoreUnsignedFiles
    ? [...new Set(statement.resources.map((r) => (statement.method === 'shards' ? r.name.replace(/:\d+:\d+$/, '') : r.name)))]
    : undefined;
  const manifest = await hashModel(modelPath, {
    method: statement.method,
    ...(statement.shardSize !== undefined ? { shardSize: statement.shardSize } : {}),
    allowSymlinks: statement.allowSymlinks,
    ignorePaths,
    ...(onlyFiles ? { onlyFiles } : {}),
    ...(options.pool ? { pool: options.pool } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });

  const details = compareResources(statement, manifest);
  if (details.length) {
    throw new VerificationError('ERR_MODEL_MISMATCH', `the model does not match its signature:\n  ${details.join('\n  ')}`, {
      details,
    });
  }
  return { statement, payload: verified.payload, manifest, keyId: verified.signedBy[0]! };
}

function fileOf(name: string, method: string): string {
  return method === 'shards' ? name.replace(/:\d+:\d+$/, '') : name;
}

function compareResources(statement: ParsedOmsStatement, manifest: ModelManifest): string[] {
  const expected = new Map(statement.resources.map((r) => [r.name, r]));
  const actual = new Map(manifest.resources.map((r) => [r.name, r]));
  const missing = new Set<string>();
  const extra = new Set<string>();
  const changed = new Set<string>();
  for (const [name, r] of expected) {
    const a = actual.get(name);
    if (!a) missing.add(fileOf(name, statement.method));
    else if (a.algorithm !== r.algorithm || !bytesEqual(a.digest, r.digest)) changed.add(fileOf(name, statement.method));
  }
  for (const name of actual.keys()) {
    if (!expected.has(name)) extra.add(fileOf(name, statement.method));
  }
  // A file whose size changed shows up in shard mode as missing and/or extra
  // shards (only extra when it grew by whole shards, only missing when it
  // shrank by them) although the file is neither: report it once, as different.
  const expectedFiles = new Set([...expected.keys()].map((n) => fileOf(n, statement.method)));
  const actualFiles = new Set([...actual.keys()].map((n) => fileOf(n, statement.method)));
  for (const f of [...missing]) {
    if (actualFiles.has(f)) {
      missing.delete(f);
      changed.add(f);
    }
  }
  for (const f of [...extra]) {
    if (expectedFiles.has(f)) {
      extra.delete(f);
      changed.add(f);
    }
  }
  const out: string[] = [];
  for (const f of [...missing].sort()) out.push(`missing: ${f}`);
  for (const f of [...extra].sort()) out.push(`extra: ${f}`);
  for (const f of [...changed].sort()) if (!missing.has(f) && !extra.has(f)) out.push(`different: ${f}`);
  return out;
}
